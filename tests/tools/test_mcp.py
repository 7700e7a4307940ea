"""MCP round trips against a real server started by the test (stdio and streamable HTTP)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_types import CallToolResult, ImageContent, TextContent

from agentkit.tools import ArgumentsError
from agentkit_tools.mcp import MCPError, MCPToolset, StdioServerParameters, object_schema, result_text, tool_name

SERVER = str(Path(__file__).with_name("mcp_server.py"))


async def test_stdio_round_trip() -> None:
    params = StdioServerParameters(command=sys.executable, args=[SERVER])
    async with MCPToolset(params, prefix="t_") as toolset:
        tools = {t.name: t for t in toolset.tools}
        assert sorted(tools) == ["t_add", "t_explode", "t_text_echo"]
        add = tools["t_add"]
        assert add.side_effect == "mutating"
        assert add.description == "Add two integers."
        assert add.parameters["required"] == ["a", "b"]
        assert await add.function(**add.validate_arguments('{"a": 2, "b": 40}')) == "42"
        with pytest.raises(ArgumentsError, match="'x' is not of type 'integer'"):
            add.validate_arguments('{"a": "x", "b": 1}')
        echo = tools["t_text_echo"]
        assert await echo.function(text="hi", times=3) == "hi hi hi"
        with pytest.raises(MCPError, match="explode"):
            await tools["t_explode"].function(reason="boom")
    with pytest.raises(MCPError, match="closed"):
        await toolset.call("add", {"a": 1, "b": 2})


async def test_allowed_tools_and_trusted_annotations() -> None:
    params = StdioServerParameters(command=sys.executable, args=[SERVER])
    async with MCPToolset(
        params, allowed_tools=["add", "text.echo"], requires_approval=True, trust_annotations=True
    ) as toolset:
        assert [(t.name, t.side_effect, t.requires_approval) for t in toolset.tools] == [
            ("add", "pure", True),
            ("text_echo", "idempotent", True),
        ]


async def test_connection_failure_is_clear() -> None:
    params = StdioServerParameters(command=sys.executable, args=["-c", "import sys; sys.exit(3)"])
    with pytest.raises(MCPError, match="Could not connect to MCP server"):
        async with MCPToolset(params):
            pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def http_server() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, SERVER, "http", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_streamable_http_round_trip(http_server: str) -> None:
    async with MCPToolset(http_server, headers={"X-Test": "1"}) as toolset:
        tools = {t.name: t for t in toolset.tools}
        assert await tools["add"].function(a=1, b=2) == "3"


def test_names_schemas_and_results() -> None:
    assert tool_name("files/read.v2") == "files_read_v2"
    assert len(tool_name("x" * 100)) == 64
    assert object_schema({}) == {"type": "object", "properties": {}}
    image = ImageContent(data="AAAA", mime_type="image/png")
    result = CallToolResult(content=[TextContent(text="a"), image])
    assert result_text(result) == "a\n[image: image/png, 3 bytes]"
    assert result_text(CallToolResult(content=[], structured_content={"x": 1})) == '{"x": 1}'
