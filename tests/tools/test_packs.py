"""The tool packs as agentkit tools: declared side effects, approval, and guarantees through a real run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentkit import Agent
from agentkit.approval import approve_all, deny_all
from agentkit.messages import ModelRequest, RetryPrompt, ToolResult
from agentkit.testing import ScriptedModel, call, text
from agentkit_tools.math import FUNCTIONS, math_tools
from agentkit_tools.python_sandbox import python_tools
from agentkit_tools.shell import shell_tools
from agentkit_tools.web import web_tools
from agentkit_tools.workspace import workspace_tools


def declared(tools: list[Any]) -> list[tuple[str, str, bool]]:
    return [(t.name, t.side_effect, t.requires_approval) for t in tools]


def test_declarations(tmp_path: Path) -> None:
    assert declared(workspace_tools(tmp_path)) == [
        ("read_file", "pure", False),
        ("list_files", "pure", False),
        ("search_files", "pure", False),
        ("write_file", "mutating", False),
    ]
    assert [t.name for t in workspace_tools(tmp_path, read_only=True)] == ["read_file", "list_files", "search_files"]
    assert declared(web_tools()) == [("fetch_url", "idempotent", False)]
    assert declared(math_tools()) == [("calculate", "pure", False)]
    assert declared(python_tools()) == [("run_python", "idempotent", False)]
    assert shell_tools(allowed_commands=["echo"], cwd=tmp_path) == []
    shell = shell_tools(allowed_commands=["echo", "ls"], cwd=tmp_path, enabled=True)
    assert declared(shell) == [("run_command", "mutating", True)]
    assert "Allowed programs: echo, ls." in shell[0].description


def test_calculate_description_lists_every_function() -> None:
    description = math_tools()[0].description
    assert all(name in description for name in FUNCTIONS)


def tool_parts(model: ScriptedModel) -> list[ToolResult | RetryPrompt]:
    """What the tools answered, in order, as the model saw it."""
    parts: list[ToolResult | RetryPrompt] = []
    for request in model.requests[-1].messages:
        if isinstance(request, ModelRequest):
            parts += [p for p in request.parts if isinstance(p, ToolResult | RetryPrompt)]
    return parts


async def test_workspace_traversal_through_a_run(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    (tmp_path / "ws" / "a.txt").write_text("hello")
    model = ScriptedModel(
        [
            call("read_file", path="../secret.txt"),
            call("write_file", path="notes/b.txt", content="written"),
            call("read_file", path="a.txt"),
            text("done"),
        ]
    )
    agent: Agent[None, str] = Agent(model, tools=workspace_tools(tmp_path / "ws"))
    assert (await agent.run("go")).output == "done"
    denied, written, read = tool_parts(model)
    assert isinstance(denied, RetryPrompt) and "contains '..'" in denied.content
    assert "TOP SECRET" not in denied.content
    assert isinstance(written, ToolResult) and written.content["bytes_written"] == 7
    assert isinstance(read, ToolResult) and read.content["text"] == "hello"
    assert (tmp_path / "ws" / "notes" / "b.txt").read_text() == "written"


async def test_fetch_url_block_reaches_the_model() -> None:
    model = ScriptedModel([call("fetch_url", url="http://169.254.169.254/latest/meta-data/"), text("ok")])
    await Agent(model, tools=web_tools()).run("go")
    (part,) = tool_parts(model)
    assert isinstance(part, RetryPrompt)
    assert "cloud metadata endpoint" in part.content


async def test_math_bomb_reaches_the_model_as_an_error() -> None:
    model = ScriptedModel([call("calculate", expression="9**9**9"), call("calculate", expression="6*7"), text("42")])
    await Agent(model, tools=math_tools()).run("go")
    bomb, answer = tool_parts(model)
    assert isinstance(bomb, RetryPrompt) and "larger than 4096 bits" in bomb.content
    assert isinstance(answer, ToolResult) and answer.content == 42


async def test_run_python_through_a_run() -> None:
    model = ScriptedModel([call("run_python", code="print(6 * 7)"), text("42")])
    await Agent(model, tools=python_tools()).run("go")
    (part,) = tool_parts(model)
    assert isinstance(part, ToolResult)
    assert part.content["stdout"] == "42\n"
    assert part.content["killed_reason"] is None


@pytest.mark.parametrize(("approver", "created"), [(deny_all, False), (approve_all, True)])
async def test_shell_waits_for_approval(tmp_path: Path, approver: Any, created: bool) -> None:
    model = ScriptedModel([call("run_command", command="touch made-by-agent"), text("done")])
    tools = shell_tools(allowed_commands=["touch"], cwd=tmp_path, enabled=True)
    await Agent(model, tools=tools, approver=approver).run("go")
    assert (tmp_path / "made-by-agent").exists() is created


def test_public_surface() -> None:
    import agentkit_tools

    assert sorted(agentkit_tools.__all__) == sorted(agentkit_tools._LAZY)
    for name in agentkit_tools.__all__:
        assert getattr(agentkit_tools, name) is not None
    with pytest.raises(AttributeError):
        _ = agentkit_tools.nothing_here
