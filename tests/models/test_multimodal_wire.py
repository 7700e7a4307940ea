"""Images and documents on every wire format, through the emulator: the exact content parts each adapter
sends for a user's files and for files a tool returned (Chat Completions: in a user message after the tool
messages, which can only hold text; Responses and Anthropic: inside the tool result)."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import Agent, Document, Image, tool
from agentkit.exceptions import UserError
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from tests.emulator import Emulator, Reply, ToolCall
from tests.models._helpers import anthropic_model, opened, responses_model

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PNG_B64 = "iVBORw0KGgoAAAANSUhEUg=="
PDF = b"%PDF-1.4 a tiny document"
PDF_B64 = "JVBERi0xLjQgYSB0aW55IGRvY3VtZW50"
CAT_URL = "https://example.test/cat.jpg"
NOTE = "The tool returned the image 'chart.png' (image/png); it is attached."


@tool
def chart() -> Image:
    """Draw the sales chart."""
    return Image.from_bytes(PNG, name="chart.png")


def _prompt() -> list[Any]:
    return ["Compare these.", Image.from_bytes(PNG), Image.from_url(CAT_URL), Document.from_bytes(PDF, name="q3.pdf")]


def _chat_model(emu: Emulator) -> OpenAIChatModel:
    return opened(OpenAIChatModel("gpt-4.1", base_url=emu.base_url, api_key="sk-test"))


# --- Chat Completions ------------------------------------------------------------------------------


async def test_chat_sends_text_images_and_a_pdf_as_one_user_message(emulator: Emulator) -> None:
    emulator.script(Reply(text="Both are cats."))
    result = await Agent(_chat_model(emulator)).run(_prompt())
    assert result.output == "Both are cats."
    assert emulator.last_body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare these."},
                {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                {"type": "image_url", "image_url": {"url": CAT_URL}},
                {"type": "file", "file": {"filename": "q3.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"}},
            ],
        }
    ]


async def test_chat_sends_a_tool_image_in_a_user_message_after_the_tool_messages(emulator: Emulator) -> None:
    emulator.script(
        Reply(tool_calls=[ToolCall("chart", {}, call_id="call_1"), ToolCall("chart", {}, call_id="call_2")]),
        Reply(text="Sales rose."),
    )
    result = await Agent(_chat_model(emulator), tools=[chart]).run("How did sales go?")
    assert result.output == "Sales rose."
    assert [r.status for r in emulator.requests] == [200, 200]  # the emulator refuses images in tool messages
    image = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}
    assert emulator.last_body["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "chart", "arguments": "{}"}},
                {"id": "call_2", "type": "function", "function": {"name": "chart", "arguments": "{}"}},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": NOTE},
        {"role": "tool", "tool_call_id": "call_2", "content": NOTE},
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "The files returned by these tool calls, attached here because a tool result can't "
                    "hold them: chart (chart.png), chart (chart.png).",
                },
                image,
                image,
            ],
        },
    ]


async def test_chat_refuses_a_document_url_naming_the_fix(emulator: Emulator) -> None:
    with pytest.raises(UserError) as caught:
        await Agent(_chat_model(emulator)).run("Summarise.", attachments=[Document.from_url("https://x.test/q3.pdf")])
    assert str(caught.value) == (
        "Document 'q3.pdf': Chat Completions takes documents as bytes, not URLs; download it and pass "
        "Document.from_bytes(...) or Document.from_path(...), or use the Responses API ('openai:...')."
    )
    assert emulator.requests == []


# --- Responses -------------------------------------------------------------------------------------


async def test_responses_sends_input_image_and_input_file_parts(emulator: Emulator) -> None:
    emulator.script(Reply(text="Both are cats."))
    doc_url = Document.from_url("https://example.test/q4.pdf")
    await Agent(responses_model(emulator)).run(_prompt(), attachments=[doc_url])
    assert emulator.last_body["input"] == [
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "Compare these."},
                {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"},
                {"type": "input_image", "image_url": CAT_URL, "detail": "auto"},
                {"type": "input_file", "filename": "q3.pdf", "file_data": f"data:application/pdf;base64,{PDF_B64}"},
                {"type": "input_file", "file_url": "https://example.test/q4.pdf"},
            ],
        }
    ]


async def test_responses_sends_a_tool_image_inside_the_function_call_output(emulator: Emulator) -> None:
    emulator.script(Reply(tool_calls=[ToolCall("chart", {}, call_id="call_1")]), Reply(text="Sales rose."))
    await Agent(responses_model(emulator), tools=[chart]).run("How did sales go?")
    assert [r.status for r in emulator.requests] == [200, 200]
    assert emulator.last_body["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": [
            {"type": "input_text", "text": NOTE},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}", "detail": "auto"},
        ],
    }


# --- Anthropic through litellm ---------------------------------------------------------------------


async def test_anthropic_gets_image_and_document_blocks(emulator: Emulator) -> None:
    emulator.script(Reply(text="Both are cats."))
    await Agent(anthropic_model(emulator)).run(_prompt())
    assert emulator.last_body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Compare these."},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                {"type": "image", "source": {"type": "url", "url": CAT_URL}},
                {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}},
            ],
        }
    ]


async def test_anthropic_gets_a_tool_image_inside_the_tool_result(emulator: Emulator) -> None:
    emulator.script(Reply(tool_calls=[ToolCall("chart", {}, call_id="toolu_1")]), Reply(text="Sales rose."))
    await Agent(anthropic_model(emulator), tools=[chart]).run("How did sales go?")
    assert [r.status for r in emulator.requests] == [200, 200]
    assert emulator.last_body["messages"][-1] == {
        "role": "user",
        "content": [
            {
                "type": "tool_result",
                "tool_use_id": "toolu_1",
                "content": [
                    {"type": "text", "text": NOTE},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                ],
            }
        ],
    }


# --- Gemini through litellm ------------------------------------------------------------------------


async def test_gemini_gets_inline_data_and_a_tool_image_after_the_function_response(emulator: Emulator) -> None:
    model = opened(LiteLLMModel("gemini/gemini-2.5-flash", base_url=emulator.url + "/v1beta", api_key="k"))
    emulator.script(Reply(tool_calls=[ToolCall("chart", {})]), Reply(text="Sales rose."))
    await Agent(model, tools=[chart]).run("How did sales go?", attachments=[Document.from_bytes(PDF)])
    assert [r.status for r in emulator.requests] == [200, 200]
    contents = emulator.last_body["contents"]
    assert contents[0] == {
        "role": "user",
        "parts": [{"text": "How did sales go?"}, {"inline_data": {"data": PDF_B64, "mime_type": "application/pdf"}}],
    }
    assert contents[2:] == [
        {"role": "user", "parts": [{"function_response": {"name": "chart", "response": {"content": NOTE}}}]},
        {
            "role": "user",
            "parts": [
                {
                    "text": "The files returned by these tool calls, attached here because a tool result can't "
                    "hold them: chart (chart.png)."
                },
                {"inline_data": {"data": PNG_B64, "mime_type": "image/png"}},
            ],
        },
    ]
