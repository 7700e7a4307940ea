"""Tools from MCP servers (stdio or streamable HTTP), as raw-schema agentkit tools.

```python
from mcp import StdioServerParameters
from agentkit_tools.mcp import MCPToolset

async with MCPToolset(StdioServerParameters(command="my-mcp-server")) as toolset:
    agent = Agent("openai:o4-mini", tools=toolset.tools)
    await agent.run("...")
```

Each server tool becomes a :class:`agentkit.tools.Tool` built with ``Tool.from_schema``: its input
schema is the server's, so arguments are jsonschema-validated before the call. Names are made safe
for providers (``[A-Za-z0-9_-]``, at most 64 characters, unique). Server tools are declared
``mutating`` unless ``trust_annotations=True`` lets the server's read-only / idempotent hints relax
that (the hints come from the server, so only trust servers you trust). The connection lives for
the ``async with`` block; enter and leave it in the same task.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from contextlib import AsyncExitStack
from typing import Any

from agentkit._extras import require

try:
    from mcp import Client, StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
    from mcp_types import (
        AudioContent,
        CallToolResult,
        ContentBlock,
        EmbeddedResource,
        ImageContent,
        ResourceLink,
        TextContent,
        TextResourceContents,
    )
    from mcp_types import Tool as MCPTool
except ImportError:
    require("mcp", "mcp", "agentkit_tools.mcp (tools from MCP servers)")  # names the extra if mcp is missing
    raise

from agentkit.tools import SideEffect, Tool
from agentkit_tools._errors import ToolPackError

__all__ = ["MCPError", "MCPToolset", "StdioServerParameters"]

_MAX_PAGES = 100
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class MCPError(ToolPackError):
    """An MCP server could not be reached, or a server tool reported an error."""


class MCPToolset:
    """The tools of one MCP server, available inside ``async with``."""

    def __init__(
        self,
        server: StdioServerParameters | str,
        *,
        headers: Mapping[str, str] | None = None,
        prefix: str = "",
        allowed_tools: Iterable[str] | None = None,
        trust_annotations: bool = False,
        requires_approval: bool = False,
        call_timeout: float | None = 60.0,
    ) -> None:
        """``server`` is stdio parameters or a streamable-HTTP URL (``headers`` apply to HTTP).

        ``allowed_tools`` keeps only those server tool names; ``prefix`` is put before each name.
        """
        self.server = server
        self.headers = dict(headers or {})
        self.prefix = prefix
        self.allowed_tools = None if allowed_tools is None else frozenset(allowed_tools)
        self.trust_annotations = trust_annotations
        self.requires_approval = requires_approval
        self.call_timeout = call_timeout
        self._stack: AsyncExitStack | None = None
        self._client: Client | None = None
        self.tools: list[Tool[Any]] = []

    async def __aenter__(self) -> MCPToolset:
        stack = AsyncExitStack()
        try:
            self._client = await stack.enter_async_context(Client(await self._target(stack)))
            listed = await self._list_tools()
        except Exception as exc:
            await stack.aclose()
            raise MCPError(f"Could not connect to MCP server {self._describe()}: {exc!r}") from exc
        self._stack = stack
        self.tools = self._wrap_all(listed)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._stack, self._client = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Call server tool ``name``; its content as text, or :class:`MCPError` if it failed."""
        if self._client is None:
            raise MCPError(f"The MCP toolset for {self._describe()} is closed; use it inside 'async with'.")
        result = await self._client.call_tool(name, arguments, read_timeout_seconds=self.call_timeout)
        text = result_text(result)
        if result.is_error:
            raise MCPError(f"MCP tool {name!r} failed: {text}")
        return text

    async def _target(self, stack: AsyncExitStack) -> Any:
        if isinstance(self.server, StdioServerParameters):
            return self.server
        http_client = await stack.enter_async_context(create_mcp_http_client(headers=self.headers or None))
        return streamable_http_client(self.server, http_client=http_client)

    def _describe(self) -> str:
        if isinstance(self.server, StdioServerParameters):
            return repr(" ".join([self.server.command, *self.server.args]))
        return repr(self.server)

    async def _list_tools(self) -> list[MCPTool]:
        assert self._client is not None
        found: list[MCPTool] = []
        cursor: str | None = None
        for _ in range(_MAX_PAGES):
            page = await self._client.list_tools(cursor=cursor)
            found.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        return [t for t in found if self.allowed_tools is None or t.name in self.allowed_tools]

    def _wrap_all(self, listed: list[MCPTool]) -> list[Tool[Any]]:
        used: set[str] = set()
        return [self._wrap(t, _unique(tool_name(self.prefix + t.name), used)) for t in listed]

    def _wrap(self, spec: MCPTool, name: str) -> Tool[Any]:
        async def call(**arguments: Any) -> str:
            return await self.call(spec.name, arguments)

        return Tool.from_schema(
            name=name,
            description=spec.description or spec.title or spec.name,
            parameters=object_schema(spec.input_schema),
            function=call,
            side_effect=self._side_effect(spec),
            requires_approval=self.requires_approval,
        )

    def _side_effect(self, spec: MCPTool) -> SideEffect:
        hints = spec.annotations
        if not self.trust_annotations or hints is None:
            return "mutating"
        if hints.read_only_hint:
            return "pure"
        return "idempotent" if hints.idempotent_hint else "mutating"


def tool_name(raw: str) -> str:
    """A provider-safe tool name: ``[A-Za-z0-9_-]``, 1 to 64 characters."""
    return _NAME_CHARS.sub("_", raw)[:64] or "tool"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        suffix = f"_{n}"
        candidate = name[: 64 - len(suffix)] + suffix
    used.add(candidate)
    return candidate


def object_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The server's input schema, with ``"type": "object"`` guaranteed at the root."""
    fixed = dict(schema)
    fixed.setdefault("type", "object")
    if fixed["type"] == "object":
        fixed.setdefault("properties", {})
    return fixed


def result_text(result: CallToolResult) -> str:
    """A tool result as text: text blocks joined, other blocks described, else structured JSON."""
    parts = [_block_text(block) for block in result.content]
    if not parts and result.structured_content is not None:
        return json.dumps(result.structured_content, ensure_ascii=False)
    return "\n".join(parts)


def _block_text(block: ContentBlock) -> str:
    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ImageContent | AudioContent):
        return f"[{block.type}: {block.mime_type}, {len(block.data) * 3 // 4} bytes]"
    if isinstance(block, EmbeddedResource):
        inner = block.resource
        if isinstance(inner, TextResourceContents):
            return inner.text
        return f"[resource {inner.uri} ({inner.mime_type or 'binary'})]"
    if isinstance(block, ResourceLink):
        return f"[resource link: {block.uri}]"
    return f"[{type(block).__name__}]"
