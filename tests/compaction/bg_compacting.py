"""An agent for the durable context-management tests: it reads ``PAGES`` pages in a 3,000-token window,
so its runs compact (clearing and summarizing). The model is stateless - it answers from the history
alone - so a replay in any process agrees with the original."""

from __future__ import annotations

import asyncio
import re

from agentkit import Agent, ContextPolicy, ModelRequest, ModelResponse, SystemPart, TextPart, ToolCall, tool
from agentkit.messages import ToolResult
from agentkit.prompts import render
from agentkit.testing import FunctionModel, RecordedRequest
from agentkit.usage import Usage

PAGES = 60
DELAY_S = 0.02


@tool(side_effect="pure")
def read_page(n: int) -> str:
    """One page.

    Args:
        n: Page number.
    """
    return f"Page {n}: " + "lorem ipsum " * 80


async def _answer(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
    await asyncio.sleep(DELAY_S)
    chars = sum(len(str(p)) for m in messages for p in m.parts)
    usage = Usage(input_tokens=chars // 4, output_tokens=10)
    first = messages[0].parts[0]
    if isinstance(first, SystemPart) and first.content == render("compaction_instructions"):
        facts = sorted(set(re.findall(r"vault code is \d+", str(messages[-1].parts[-1]))))
        return ModelResponse(parts=[TextPart(content="Summary. " + "; ".join(facts))], usage=usage)
    last = messages[-1].parts[-1]
    page = int(last.call_id.split("_")[1]) + 1 if isinstance(last, ToolResult) else 0
    if page >= PAGES or info.params.final_answer:
        code = re.search(r"vault code is (\d+)", str(messages))
        return ModelResponse(parts=[TextPart(content=f"Code: {code.group(1) if code else '?'}")], usage=usage)
    parts: list[TextPart | ToolCall] = [ToolCall(id=f"call_{page}", name="read_page", arguments=f'{{"n": {page}}}')]
    if page == 0:
        parts.insert(0, TextPart(content="Noting: the vault code is 4417."))
    return ModelResponse(parts=parts, usage=usage)


reader = Agent(FunctionModel(_answer), tools=[read_page], context=ContextPolicy(window=3000), name="compacting-reader")
