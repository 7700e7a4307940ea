"""agentkit: one controller loop for reasoning models, typed tools, test-time compute, durable runs.

Names are imported on first use (PEP 562), so ``import agentkit`` stays fast; ``from agentkit import
Agent`` loads what ``Agent`` needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit._effort import EffortSchedule
    from agentkit.agent import Agent, AgentRun, RunOptions
    from agentkit.attachments import Document, Image
    from agentkit.compaction import ContextPolicy
    from agentkit.context import RunContext
    from agentkit.exceptions import (
        AgentkitError,
        BudgetExceeded,
        ContextWindowExceeded,
        MissingExtra,
        ModelConnectionError,
        ModelHTTPError,
        ModelResponseError,
        ModelRetry,
        ModelStreamError,
        OutputValidationError,
        ToolDefinitionError,
        ToolRetriesExceeded,
        UnexpectedModelBehavior,
        UserError,
    )
    from agentkit.guardrails import (
        GuardrailError,
        GuardrailResult,
        GuardrailTripped,
        InputGuardrail,
        InputGuardrailTripped,
        OutputGuardrail,
        OutputGuardrailTripped,
    )
    from agentkit.messages import (
        ModelRequest,
        ModelResponse,
        ReasoningPart,
        RetryPrompt,
        SystemPart,
        TextPart,
        ToolCall,
        ToolResult,
        UserPart,
        dump_messages,
        load_messages,
    )
    from agentkit.pricing import ModelPrice
    from agentkit.result import AgentResult
    from agentkit.sessions import Session, SessionBusy, SessionStore
    from agentkit.settings import ModelSettings
    from agentkit.tools import Tool, ToolRegistry, tool
    from agentkit.usage import Budget, Usage

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "Agent": "agentkit.agent",
    "AgentResult": "agentkit.result",
    "AgentRun": "agentkit.agent",
    "AgentkitError": "agentkit.exceptions",
    "Budget": "agentkit.usage",
    "BudgetExceeded": "agentkit.exceptions",
    "ContextPolicy": "agentkit.compaction",
    "ContextWindowExceeded": "agentkit.exceptions",
    "Document": "agentkit.attachments",
    "EffortSchedule": "agentkit._effort",
    "GuardrailError": "agentkit.guardrails",
    "GuardrailResult": "agentkit.guardrails",
    "GuardrailTripped": "agentkit.guardrails",
    "Image": "agentkit.attachments",
    "InputGuardrail": "agentkit.guardrails",
    "InputGuardrailTripped": "agentkit.guardrails",
    "MissingExtra": "agentkit.exceptions",
    "ModelConnectionError": "agentkit.exceptions",
    "ModelHTTPError": "agentkit.exceptions",
    "ModelPrice": "agentkit.pricing",
    "ModelResponseError": "agentkit.exceptions",
    "ModelRequest": "agentkit.messages",
    "ModelResponse": "agentkit.messages",
    "ModelRetry": "agentkit.exceptions",
    "ModelStreamError": "agentkit.exceptions",
    "ModelSettings": "agentkit.settings",
    "OutputGuardrail": "agentkit.guardrails",
    "OutputGuardrailTripped": "agentkit.guardrails",
    "OutputValidationError": "agentkit.exceptions",
    "ReasoningPart": "agentkit.messages",
    "RetryPrompt": "agentkit.messages",
    "RunContext": "agentkit.context",
    "RunOptions": "agentkit.agent",
    "Session": "agentkit.sessions",
    "SessionBusy": "agentkit.sessions",
    "SessionStore": "agentkit.sessions",
    "SystemPart": "agentkit.messages",
    "TextPart": "agentkit.messages",
    "Tool": "agentkit.tools",
    "ToolCall": "agentkit.messages",
    "ToolDefinitionError": "agentkit.exceptions",
    "ToolRegistry": "agentkit.tools",
    "ToolResult": "agentkit.messages",
    "ToolRetriesExceeded": "agentkit.exceptions",
    "UnexpectedModelBehavior": "agentkit.exceptions",
    "Usage": "agentkit.usage",
    "UserError": "agentkit.exceptions",
    "UserPart": "agentkit.messages",
    "dump_messages": "agentkit.messages",
    "load_messages": "agentkit.messages",
    "tool": "agentkit.tools",
}


_SUBMODULES = frozenset(
    {"approval", "evals", "events", "messages", "models", "runs", "sessions", "strategies", "testing", "tracing"}
)
"""Submodules reachable as attributes without an import (``agentkit.runs.get(run_id)``)."""


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"agentkit.{name}")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Agent",
    "AgentResult",
    "AgentRun",
    "AgentkitError",
    "Budget",
    "BudgetExceeded",
    "ContextPolicy",
    "ContextWindowExceeded",
    "Document",
    "EffortSchedule",
    "GuardrailError",
    "GuardrailResult",
    "GuardrailTripped",
    "Image",
    "InputGuardrail",
    "InputGuardrailTripped",
    "MissingExtra",
    "ModelConnectionError",
    "ModelHTTPError",
    "ModelPrice",
    "ModelRequest",
    "ModelResponse",
    "ModelResponseError",
    "ModelRetry",
    "ModelSettings",
    "ModelStreamError",
    "OutputGuardrail",
    "OutputGuardrailTripped",
    "OutputValidationError",
    "ReasoningPart",
    "RetryPrompt",
    "RunContext",
    "RunOptions",
    "Session",
    "SessionBusy",
    "SessionStore",
    "SystemPart",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolDefinitionError",
    "ToolRegistry",
    "ToolResult",
    "ToolRetriesExceeded",
    "UnexpectedModelBehavior",
    "Usage",
    "UserError",
    "UserPart",
    "__version__",
    "dump_messages",
    "load_messages",
    "tool",
]
