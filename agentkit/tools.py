"""Tools: ``@tool``, :class:`Tool`, :class:`ToolRegistry`.

A tool is a plain or async function whose arguments a model fills in. Its JSON schema comes from the
type hints (pydantic) and the docstring (Google, NumPy or Sphinx style); ``Annotated[T, "desc"]`` and
pydantic ``Field`` are honoured. Arguments are validated with jsonschema (the exact error goes back
to the model) and then coerced by pydantic. Each tool declares its side effects, which decide whether
calls may run in parallel, be retried, be replayed or run inside speculative branches.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from pydantic import BaseModel, ValidationError

from agentkit._json import BadJSON, parse_json
from agentkit._schema import describe_validation_error, function_schema
from agentkit.exceptions import ToolDefinitionError, UserError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

__all__ = [
    "ArgumentsError",
    "SideEffect",
    "Tool",
    "ToolDefinition",
    "ToolRegistry",
    "tool",
]

SideEffect = Literal["pure", "idempotent", "mutating"]
_SIDE_EFFECTS: tuple[SideEffect, ...] = ("pure", "idempotent", "mutating")

REDACTED_ARGUMENTS = "[REDACTED: arguments of a tool with secret arguments that are not a JSON object]"
"""What events show instead of the arguments of a secret-taking tool when they can't be parsed."""
_MIN_SCRUBBED_LENGTH = 4
"""Secret argument values shorter than this are not scrubbed from result and error text."""

F = TypeVar("F", bound=Callable[..., Any])
DepsT = TypeVar("DepsT")


@dataclass(frozen=True)
class ToolDefinition:
    """What a model is told about a tool."""

    name: str
    description: str
    parameters: dict[str, Any]
    strict: bool = False


class ArgumentsError(Exception):
    """Tool arguments failed parsing or validation; ``template`` names the prompt that explains it."""

    def __init__(self, template: str, error: str) -> None:
        super().__init__(error)
        self.template = template
        self.error = error


@dataclass
class Tool(Generic[DepsT]):
    """A callable the model can use. Build one with :func:`tool` or :meth:`Tool.from_schema`."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    takes_ctx: bool = False
    side_effect: SideEffect = "mutating"
    timeout: float | None = None
    retries: int | None = None
    requires_approval: bool = False
    secret_args: frozenset[str] = frozenset()
    args_model: type[BaseModel] | None = None
    in_thread: bool = True
    """A sync function runs in a worker thread of its own (the event loop stays free); ``False`` calls it
    on the event loop's thread, for objects bound to the thread that made them (a ``sqlite3`` connection)."""
    _validator: Draft202012Validator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from jsonschema import Draft202012Validator  # imported here: keeps `import agentkit` fast
        from jsonschema.exceptions import SchemaError

        _check_options(self.name, self.side_effect, self.timeout, self.retries)
        try:
            Draft202012Validator.check_schema(self.parameters)
        except SchemaError as exc:
            raise ToolDefinitionError(f"Tool {self.name!r}: invalid JSON schema: {exc.message}") from exc
        if self.parameters.get("type") != "object":
            raise ToolDefinitionError(
                f'Tool {self.name!r}: the parameters schema must have "type": "object" '
                f"(got {self.parameters.get('type')!r})."
            )
        self._validator = Draft202012Validator(self.parameters)

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        side_effect: SideEffect = "mutating",
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        secret_args: Iterable[str] = (),
        in_thread: bool = True,
    ) -> Tool[Any]:
        """A tool whose schema is derived from ``function``'s signature and docstring."""
        tool_name = name or function.__name__
        schema = function_schema(function, name=tool_name, description=description)
        secrets = frozenset(secret_args)
        _check_secret_args(tool_name, secrets, schema.json_schema)
        return cls(
            name=tool_name,
            description=schema.description,
            parameters=schema.json_schema,
            function=function,
            takes_ctx=schema.takes_ctx,
            side_effect=side_effect,
            timeout=timeout,
            retries=retries,
            requires_approval=requires_approval,
            secret_args=secrets,
            args_model=schema.args_model,
            in_thread=in_thread,
        )

    @classmethod
    def from_schema(
        cls,
        *,
        name: str,
        description: str,
        parameters: dict[str, Any],
        function: Callable[..., Any],
        takes_ctx: bool = False,
        side_effect: SideEffect = "mutating",
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        secret_args: Iterable[str] = (),
        in_thread: bool = True,
    ) -> Tool[Any]:
        """A tool from a raw JSON schema (MCP and the like); ``function`` gets the arguments as kwargs."""
        secrets = frozenset(secret_args)
        _check_secret_args(name, secrets, parameters)
        return cls(
            name=name,
            description=description,
            parameters=parameters,
            function=function,
            takes_ctx=takes_ctx,
            side_effect=side_effect,
            timeout=timeout,
            retries=retries,
            requires_approval=requires_approval,
            secret_args=secrets,
            in_thread=in_thread,
        )

    @property
    def definition(self) -> ToolDefinition:
        """The definition sent to models."""
        return ToolDefinition(self.name, self.description, self.parameters)

    @property
    def is_async(self) -> bool:
        """Whether the function is a coroutine function."""
        return inspect.iscoroutinefunction(self.function)

    @property
    def parallel_safe(self) -> bool:
        """Pure and idempotent tools may run concurrently; mutating ones run one at a time, in order."""
        return self.side_effect != "mutating"

    def validate_arguments(self, arguments: str) -> dict[str, Any]:
        """Parse JSON text, validate it against the schema, coerce with pydantic: the kwargs to call with.

        Raises :class:`ArgumentsError` with a message written for the model.
        """
        args = _parse_json_object(arguments)
        try:
            return self._validated(args)
        except RecursionError as exc:  # arguments nested deeper than validation (or its messages) can go
            raise ArgumentsError("tool_args_invalid", f"the arguments are nested too deeply ({exc})") from None

    def _validated(self, args: dict[str, Any]) -> dict[str, Any]:
        errors = sorted(self._validator.iter_errors(args), key=lambda e: list(e.absolute_path))
        if errors:
            raise ArgumentsError("tool_args_invalid", "; ".join(_describe(e) for e in errors))
        if self.args_model is None:
            return args
        try:
            model = self.args_model.model_validate(args)
        except ValidationError as exc:
            raise ArgumentsError("tool_args_invalid", describe_validation_error(exc)) from exc
        return {name: getattr(model, name) for name in type(model).model_fields}

    def redact_arguments(self, arguments: str) -> str:
        """``arguments`` with the values of ``secret_args`` replaced by ``"[REDACTED]"``.

        Never raises: arguments that are not a JSON object (or can't be parsed at all) are replaced
        as a whole, since there is no telling where a secret sits in them.
        """
        if not self.secret_args or not arguments.strip():
            return arguments
        data = _json_object_or_none(arguments)
        if data is None:
            return REDACTED_ARGUMENTS
        try:
            return json.dumps({k: "[REDACTED]" if k in self.secret_args else v for k, v in data.items()})
        except (ValueError, RecursionError):
            return REDACTED_ARGUMENTS

    def secret_values(self, arguments: str) -> list[str]:
        """The texts of this call's secret argument values, as they may appear in a result or an error.

        Each string or number value of a ``secret_args`` argument, with its JSON- and repr-escaped
        forms; values shorter than 4 characters are left out (they would match ordinary text).
        Never raises.
        """
        data = _json_object_or_none(arguments) if self.secret_args else None
        if data is None:
            return []
        found: set[str] = set()
        for name in self.secret_args & data.keys():
            found.update(_value_forms(data[name]))
        return sorted((v for v in found if len(v) >= _MIN_SCRUBBED_LENGTH), key=len, reverse=True)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in tests)."""
        return self.function(*args, **kwargs)


def _check_options(name: str, side_effect: str, timeout: float | None, retries: int | None) -> None:
    if not name or not name.replace("_", "a").replace("-", "a").isalnum() or len(name) > 64:
        raise ToolDefinitionError(
            f"Tool name {name!r} is invalid: use 1-64 letters, digits, '_' or '-' (providers reject others)."
        )
    if side_effect not in _SIDE_EFFECTS:
        raise ToolDefinitionError(
            f"Tool {name!r}: side_effect must be one of {list(_SIDE_EFFECTS)}, got {side_effect!r}."
        )
    if timeout is not None and timeout <= 0:
        raise ToolDefinitionError(f"Tool {name!r}: timeout must be a positive number of seconds.")
    if retries is not None and retries < 0:
        raise ToolDefinitionError(f"Tool {name!r}: retries must be >= 0.")


def _check_secret_args(name: str, secrets: frozenset[str], schema: dict[str, Any]) -> None:
    unknown = secrets - set(schema.get("properties", {}))
    if unknown:
        raise ToolDefinitionError(f"Tool {name!r}: secret_args names unknown parameters {sorted(unknown)}.")


def _parse_json_object(arguments: str) -> dict[str, Any]:
    text = arguments.strip() or "{}"
    try:
        value = parse_json(text)
    except BadJSON as exc:
        raise ArgumentsError("tool_args_not_json", exc.detail) from exc.__cause__
    if not isinstance(value, dict):
        raise ArgumentsError("tool_args_invalid", f"expected a JSON object, got {type(value).__name__}")
    return value


def _json_object_or_none(arguments: str) -> dict[str, Any] | None:
    """The arguments as a JSON object, or ``None`` when they are anything else (never raises)."""
    try:
        data = json.loads(arguments)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _value_forms(value: Any) -> set[str]:
    """How a secret value can show up in text: as is, JSON-escaped, repr-escaped."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return set()
    text = str(value)
    if not isinstance(value, str):
        return {text}
    return {text, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]}


def _describe(error: Any) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f"at '{path}': {error.message}" if path else str(error.message)


@overload
def tool(function: F, /) -> Tool[Any]: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    side_effect: SideEffect = "mutating",
    timeout: float | None = None,
    retries: int | None = None,
    requires_approval: bool = False,
    secret_args: Iterable[str] = (),
    in_thread: bool = True,
) -> Callable[[F], Tool[Any]]: ...


def tool(
    function: F | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    side_effect: SideEffect = "mutating",
    timeout: float | None = None,
    retries: int | None = None,
    requires_approval: bool = False,
    secret_args: Iterable[str] = (),
    in_thread: bool = True,
) -> Tool[Any] | Callable[[F], Tool[Any]]:
    """Turn a function into a :class:`Tool`. Use bare (``@tool``) or with options (``@tool(...)``).

    ``side_effect`` defaults to ``"mutating"`` (the safe assumption: never run twice, never in
    parallel); declare ``"pure"`` or ``"idempotent"`` to allow parallel calls, retries and branching.
    A sync function runs in a worker thread; ``in_thread=False`` calls it on the event loop's thread.
    """

    def wrap(func: F) -> Tool[Any]:
        return Tool.from_function(
            func,
            name=name,
            description=description,
            side_effect=side_effect,
            timeout=timeout,
            retries=retries,
            requires_approval=requires_approval,
            secret_args=secret_args,
            in_thread=in_thread,
        )

    return wrap(function) if function is not None else wrap


ToolLike = Tool[Any] | Callable[..., Any]


class ToolRegistry:
    """The tools of an agent, by name."""

    def __init__(self, tools: Iterable[ToolLike] = ()) -> None:
        self._tools: dict[str, Tool[Any]] = {}
        self._definitions: list[ToolDefinition] | None = None
        for item in tools:
            self.add(item)

    def add(self, item: ToolLike) -> Tool[Any]:
        """Register a :class:`Tool` or a plain function (made into a tool with default options)."""
        new = item if isinstance(item, Tool) else Tool.from_function(item)
        if new.name in self._tools:
            raise UserError(
                f"Tool name {new.name!r} is registered twice. Give one of them another name with @tool(name=...)."
            )
        self._tools[new.name] = new
        self._definitions = None
        return new

    def get(self, name: str) -> Tool[Any] | None:
        """The tool called ``name``, or ``None``."""
        return self._tools.get(name)

    @property
    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._tools)

    def definitions(self) -> list[ToolDefinition]:
        """Definitions for the model, in registration order (computed once per change)."""
        if self._definitions is None:
            self._definitions = [t.definition for t in self._tools.values()]
        return list(self._definitions)

    def __iter__(self) -> Iterator[Tool[Any]]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools
