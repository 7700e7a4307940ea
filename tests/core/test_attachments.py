"""Images and documents (:mod:`agentkit.attachments`): making them (media types, size limits, bad input),
the first request of a run, the history's JSON round trip, sessions, tools returning files, and the refusal
of text-only models. Wire formats are tested through the emulator in tests/models/test_multimodal_wire.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit import Agent, Document, Image, ModelRequest, ToolResult, UserPart, dump_messages, load_messages, tool
from agentkit.attachments import MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES
from agentkit.exceptions import UserError
from agentkit.messages import ModelResponse, TextPart, ToolCall
from agentkit.models.prompted import PromptedModel
from agentkit.sessions import Session, SQLiteSessionStore
from agentkit.testing import FunctionModel, ScriptedModel

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
GIF = b"GIF89a\x01\x00"
PDF = b"%PDF-1.7\n"


# --- making attachments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (GIF, "image/gif")],
)
def test_an_image_type_is_read_from_its_bytes(data: bytes, media_type: str) -> None:
    assert Image.from_bytes(data).media_type == media_type


def test_a_file_type_comes_from_the_bytes_before_the_extension(tmp_path: Path) -> None:
    (tmp_path / "photo.jpg").write_bytes(PNG)  # misnamed: the bytes win
    image = Image.from_path(tmp_path / "photo.jpg")
    assert (image.media_type, image.name, image.data) == ("image/png", "photo.jpg", PNG)
    (tmp_path / "scan.png").write_bytes(b"not a known header")
    assert Image.from_path(tmp_path / "scan.png").media_type == "image/png"  # unknown bytes: the extension
    (tmp_path / "q3.pdf").write_bytes(PDF)
    assert Document.from_path(tmp_path / "q3.pdf").media_type == "application/pdf"


def test_an_explicit_media_type_is_kept() -> None:
    assert Image.from_bytes(b"raw", media_type="image/png").media_type == "image/png"


def test_bytes_of_an_unknown_type_name_the_supported_ones() -> None:
    with pytest.raises(UserError) as caught:
        Image.from_bytes(b"hello")
    assert str(caught.value) == (
        "Image: its type can't be told from its bytes or name; supported: image/png, image/jpeg, image/gif, "
        "image/webp. Convert it, or pass media_type=... if you know the type."
    )


def test_a_document_that_is_not_a_pdf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.png").write_bytes(PNG)
    with pytest.raises(UserError) as caught:
        Document.from_path(tmp_path / "notes.png")
    assert str(caught.value) == (
        "Document 'notes.png': it looks like image/png; supported: application/pdf. "
        "Convert it, or pass media_type=... if you know the type."
    )


def test_an_image_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as handle:
        handle.truncate(MAX_IMAGE_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(UserError) as caught:
        Image.from_path(big)
    assert str(caught.value) == (
        "Image 'huge.png' is 20.0 MB, over the 20 MB limit for attachments; make it smaller, or pass a URL "
        "the provider can fetch with Image.from_url(...)."
    )


def test_a_document_over_the_limit_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        Document.from_bytes(bytes(MAX_DOCUMENT_BYTES + 1), name="big.pdf")
    assert str(caught.value) == (
        "Document 'big.pdf' is 32.0 MB, over the 32 MB limit for attachments; make it smaller, or pass a URL "
        "the provider can fetch with Document.from_url(...)."
    )


def test_a_missing_file_and_a_local_url_are_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UserError) as caught:
        Image.from_path(tmp_path / "nope.png")
    assert str(caught.value) == (
        f"Image.from_path: can't read {str(tmp_path / 'nope.png')!r} (No such file or directory); check the path."
    )
    with pytest.raises(UserError) as caught:
        Image.from_url("cat.png")
    assert (
        str(caught.value)
        == "Image.from_url: 'cat.png' is not an http(s) URL; use Image.from_path(...) for a local file."
    )


def test_an_attachment_has_exactly_one_source() -> None:
    with pytest.raises(ValueError, match="give exactly one of data= and url="):
        Image(media_type="image/png")
    with pytest.raises(ValueError, match="give exactly one of data= and url="):
        Image(media_type="image/png", data=PNG, url="https://x.test/a.png")


def test_urls_and_the_repr_stay_short() -> None:
    image = Image.from_url("https://x.test/cat.jpeg?size=2")
    assert (image.media_type, image.data_url()) == ("image/jpeg", "https://x.test/cat.jpeg?size=2")
    assert Document.from_url("https://x.test/a/q3.pdf?dl=1").name == "q3.pdf"
    assert repr(Image.from_bytes(PNG)) == "Image(media_type='image/png', data='16 bytes')"
    assert Image.from_bytes(PNG).data_url() == "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg=="


# --- runs and history ------------------------------------------------------------------------------


def _echo() -> FunctionModel:
    return FunctionModel(lambda messages, info: "seen")


def test_attachments_follow_the_prompt_text_in_the_first_request() -> None:
    model = _echo()
    image = Image.from_bytes(PNG)
    result = Agent(model).run_sync("What is in this picture?", attachments=[image])
    first = model.requests[0].messages[0]
    assert isinstance(first, ModelRequest)
    assert first.parts == [UserPart(content="What is in this picture?"), image]
    assert result.messages[0] == first


async def test_a_list_prompt_keeps_its_order_and_streams_too() -> None:
    model = _echo()
    one, two = Image.from_bytes(PNG), Document.from_bytes(PDF)
    events = [e async for e in Agent(model).stream(["Compare", one, "with", two])]
    assert events[-1].output == "seen"  # type: ignore[union-attr]
    first = model.requests[0].messages[0]
    assert isinstance(first, ModelRequest)
    assert first.parts == [UserPart(content="Compare"), one, UserPart(content="with"), two]


def test_a_prompt_item_of_another_type_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        Agent(_echo()).run_sync(["Look", Path("cat.png")])  # type: ignore[list-item]
    assert str(caught.value) == (
        "a prompt item is a PosixPath; a prompt is text or a list of str, Image and Document items "
        "(make files with Image.from_path(...) or Document.from_path(...))."
    )


def test_a_plain_text_prompt_is_unchanged() -> None:
    model = _echo()
    Agent(model).run_sync(["Hello", "there"])
    assert model.requests[0].messages[0].parts == [UserPart(content="Hello\nthere")]


def test_history_with_files_round_trips_through_json_and_continues() -> None:
    model = _echo()
    agent = Agent(model)
    first = agent.run_sync(["Describe", Image.from_bytes(PNG), Image.from_url("https://x.test/b.png")])
    text = dump_messages(first.messages)
    assert '"kind":"image"' in text and "https://x.test/b.png" in text
    loaded = load_messages(text)
    assert loaded == first.messages
    agent.run_sync("And now?", message_history=loaded)
    assert model.requests[1].messages[:2] == first.messages


def test_a_tool_result_without_files_serialises_as_before() -> None:
    result = ToolResult(call_id="c", name="t", content="x")
    assert result.model_dump() == {"kind": "tool_result", "call_id": "c", "name": "t", "content": "x"}


def test_a_session_keeps_the_files(tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "s.sqlite")
    model = _echo()
    agent = Agent(model)
    pdf = Document.from_bytes(PDF, name="q3.pdf")
    agent.run_sync("Summarise this.", attachments=[pdf], session=Session("s1", store=store))
    agent.run_sync("Shorter.", session=Session("s1", store=store))
    stored = store.load("s1")
    assert stored[0].parts == [UserPart(content="Summarise this."), pdf]
    assert model.requests[1].messages[0].parts[1] == pdf


# --- tools returning files -------------------------------------------------------------------------


@tool
def screenshot() -> Image:
    """Take a screenshot."""
    return Image.from_bytes(PNG, name="screen.png")


@tool
def pages() -> list[Image | Document]:
    """The report's pages."""
    return [Image.from_bytes(PNG, name="p1.png"), Document.from_bytes(PDF, name="all.pdf")]


def _calls(*names: str) -> ScriptedModel:
    calls = [ToolCall(id=f"call_{i}", name=name) for i, name in enumerate(names)]
    return ScriptedModel([ModelResponse(parts=list(calls)), ModelResponse(parts=[TextPart(content="ok")])])


def test_a_tool_returning_files_keeps_them_in_its_result() -> None:
    model = _calls("screenshot", "pages")
    result = Agent(model, tools=[screenshot, pages]).run_sync("Look.")
    results = model.requests[1].messages[-1].parts
    assert results == [
        ToolResult(
            call_id="call_0",
            name="screenshot",
            content="The tool returned the image 'screen.png' (image/png); it is attached.",
            files=(Image.from_bytes(PNG, name="screen.png"),),
        ),
        ToolResult(
            call_id="call_1",
            name="pages",
            content="The tool returned the image 'p1.png' (image/png); it is attached.\n"
            "The tool returned the document 'all.pdf' (application/pdf); it is attached.",
            files=(Image.from_bytes(PNG, name="p1.png"), Document.from_bytes(PDF, name="all.pdf")),
        ),
    ]
    assert load_messages(dump_messages(result.messages)) == result.messages


# --- text-only models ------------------------------------------------------------------------------


def test_prompted_mode_refuses_files_naming_the_fix() -> None:
    inner = FunctionModel(lambda messages, info: '{"final_answer": "x"}', name="smollm2", supports_tools=False)
    agent = Agent(PromptedModel(inner), tools=[screenshot])
    with pytest.raises(UserError) as caught:
        agent.run_sync("What is this?", attachments=[Image.from_bytes(PNG, name="cat.png")])
    assert str(caught.value) == (
        "The prompted model 'smollm2' reads only text, but the conversation holds the image 'cat.png'. Use a "
        "model that reads images and documents (e.g. 'openai:gpt-4.1' or 'anthropic:claude-sonnet-4-5'), "
        "or describe the file in text instead."
    )
    assert inner.requests == []


def test_prompted_mode_refuses_a_file_a_tool_returned() -> None:
    calls = iter(['{"tool": "screenshot", "arguments": {}}', '{"final_answer": "x"}'])
    inner = FunctionModel(lambda messages, info: next(calls), name="smollm2", supports_tools=False)
    with pytest.raises(UserError, match=r"holds the image 'screen\.png'"):
        Agent(PromptedModel(inner), tools=[screenshot]).run_sync("Look.")
    assert len(inner.requests) == 1


def test_sessions_show_names_files_without_their_bytes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from agentkit.cli import app
    from agentkit.sessions import open_store

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    parts = [
        UserPart(content="Look."),
        Image.from_bytes(PNG, name="cat.png"),
        Document.from_url("https://x.test/a.pdf"),
    ]
    open_store(url).append("f", [ModelRequest(parts=parts)])
    done = CliRunner().invoke(app, ["sessions", "show", "f", "--db", url])
    assert done.exit_code == 0
    assert [line for line in done.stdout.splitlines() if line.startswith("  ")] == [
        "  user: Look.",
        "  image: cat.png (image/png, 16 bytes)",
        "  document: a.pdf (application/pdf, by URL)",
    ]


def test_a_local_model_refuses_files_before_it_starts_its_server() -> None:
    from agentkit.models.local import LocalModel

    class Server:  # never started: the refusal comes first
        model_name = "SmolLM2-135M-Instruct"

    agent = Agent(LocalModel(server=Server()))  # type: ignore[arg-type]
    with pytest.raises(UserError) as caught:
        agent.run_sync("Summarise.", attachments=[Document.from_bytes(PDF, name="q3.pdf")])
    assert str(caught.value).startswith(
        "The local model 'SmolLM2-135M-Instruct' reads only text, but the conversation holds the document 'q3.pdf'."
    )


def test_every_strategy_branch_sees_the_files() -> None:
    from agentkit.strategies import BestOfN

    model = _echo()
    Agent(model).run_sync(["Look", Image.from_bytes(PNG)], strategy=BestOfN(n=2, verifier=lambda output: 1.0))
    firsts = [request.messages[0].parts for request in model.requests]
    assert firsts == [[UserPart(content="Look"), Image.from_bytes(PNG)]] * 2
