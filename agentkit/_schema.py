"""Derive a tool's argument model and JSON schema from a Python signature and docstring."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from docstring_parser import parse as parse_docstring
from pydantic import BaseModel, ConfigDict, Field, PydanticUserError, ValidationError, create_model
from pydantic.fields import FieldInfo

from agentkit.context import RunContext
from agentkit.exceptions import ToolDefinitionError

__all__ = [
    "FunctionSchema",
    "clean_schema",
    "describe_validation_error",
    "function_schema",
    "is_run_context",
]


@dataclass(frozen=True)
class FunctionSchema:
    """What the tool machinery needs to know about a function."""

    description: str
    args_model: type[BaseModel]
    json_schema: dict[str, Any]
    takes_ctx: bool


def is_run_context(annotation: object) -> bool:
    """Whether ``annotation`` is ``RunContext`` or ``RunContext[...]``."""
    return annotation is RunContext or get_origin(annotation) is RunContext


def function_schema(func: Callable[..., Any], *, name: str, description: str | None) -> FunctionSchema:
    """Build the schema of ``func``; raise :class:`ToolDefinitionError` for what can't be a tool."""
    signature = inspect.signature(func)
    try:
        hints = typing.get_type_hints(func, include_extras=True)
    except (NameError, TypeError) as exc:
        raise ToolDefinitionError(
            f"Tool {name!r}: can't resolve the type hints of {func.__qualname__} ({exc}). "
            "Import the types the annotations name at module level."
        ) from exc
    doc = parse_docstring(inspect.getdoc(func) or "")
    param_docs = {p.arg_name: p.description or "" for p in doc.params}
    params = list(signature.parameters.values())
    takes_ctx = bool(params) and is_run_context(hints.get(params[0].name))
    fields: dict[str, Any] = {}
    for index, param in enumerate(params):
        if index == 0 and takes_ctx:
            continue
        _check_parameter(name, param, hints)
        fields[param.name] = _field(param, hints[param.name], param_docs.get(param.name))
    args_model, json_schema = _arguments_model(name, fields)
    text = description if description is not None else _description(doc)
    return FunctionSchema(text, args_model, json_schema, takes_ctx)


def _arguments_model(tool_name: str, fields: dict[str, Any]) -> tuple[type[BaseModel], dict[str, Any]]:
    """The pydantic model of the arguments and its JSON schema; a type pydantic can't describe in JSON
    fails naming its parameter."""
    try:
        return _model_and_schema(f"{tool_name}_arguments", fields)
    except PydanticUserError:
        for param, field in fields.items():
            try:
                _model_and_schema(f"{tool_name}_{param}", {param: field})
            except PydanticUserError as exc:
                raise ToolDefinitionError(
                    f"tool {tool_name!r}, parameter {param!r}: type {_type_name(field[0])} cannot be sent to "
                    "a model; take it from ctx.deps instead"
                ) from exc
        raise


def _model_and_schema(name: str, fields: dict[str, Any]) -> tuple[type[BaseModel], dict[str, Any]]:
    config = ConfigDict(extra="forbid", arbitrary_types_allowed=False)
    model = create_model(name, __config__=config, **fields)
    return model, clean_schema(model.model_json_schema())


def _type_name(annotation: Any) -> str:
    """How an annotation reads in an error: ``sqlite3.Connection``, ``str``, ``list[sqlite3.Connection]``."""
    if isinstance(annotation, type) and get_origin(annotation) is None:
        module = annotation.__module__
        return annotation.__qualname__ if module == "builtins" else f"{module}.{annotation.__qualname__}"
    return repr(annotation).replace("typing.", "")


def _check_parameter(tool_name: str, param: inspect.Parameter, hints: dict[str, Any]) -> None:
    if param.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
        raise ToolDefinitionError(
            f"Tool {tool_name!r}: parameter {param.name!r} is *args/**kwargs, which a model can't fill. "
            "Declare each argument as a named parameter."
        )
    if param.kind is inspect.Parameter.POSITIONAL_ONLY:
        raise ToolDefinitionError(
            f"Tool {tool_name!r}: parameter {param.name!r} is positional-only; tools are called with "
            "keyword arguments. Remove the '/' from the signature."
        )
    if is_run_context(hints.get(param.name)):
        raise ToolDefinitionError(f"Tool {tool_name!r}: RunContext must be the first parameter, not {param.name!r}.")
    if param.name not in hints:
        raise ToolDefinitionError(_unannotated(tool_name, param))


def _unannotated(tool_name: str, param: inspect.Parameter) -> str:
    where = f"tool {tool_name!r}, parameter {param.name!r}: no type annotation"
    if param.name == "ctx":
        return f"{where}; annotate it 'ctx: RunContext[Deps]' to receive the run context as the first parameter"
    return (
        f"{where}, so the model is not told what to send; annotate it, e.g. '{param.name}: str' "
        f"(or '{param.name}: Any' to accept any JSON value)"
    )


def _field(param: inspect.Parameter, annotation: Any, doc: str | None) -> tuple[Any, Any]:
    annotation, annotated_doc = _split_string_metadata(annotation)
    default = param.default
    if isinstance(default, FieldInfo):
        info = default
        if info.description is None and (annotated_doc or doc):
            info.description = annotated_doc or doc
        return annotation, info
    extra: dict[str, Any] = {"description": annotated_doc or doc} if (annotated_doc or doc) else {}
    if default is inspect.Parameter.empty:
        return annotation, Field(**extra)
    return annotation, Field(default=default, **extra)


def _split_string_metadata(annotation: Any) -> tuple[Any, str | None]:
    """``Annotated[T, "desc", ...]`` → (``Annotated[T, ...]`` without the strings, "desc")."""
    if get_origin(annotation) is not Annotated:
        return annotation, None
    base, *metadata = get_args(annotation)
    texts = [m for m in metadata if isinstance(m, str)]
    rest = [m for m in metadata if not isinstance(m, str)]
    rebuilt = Annotated[(base, *rest)] if rest else base
    return rebuilt, " ".join(texts) if texts else None


def _description(doc: Any) -> str:
    parts = [doc.short_description, doc.long_description]
    return "\n\n".join(p.strip() for p in parts if p)


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop pydantic's auto-generated ``title`` keys (noise for a model); keep everything else."""
    cleaned: dict[str, Any] = _clean_node(schema)
    return cleaned


_LITERAL_KEYS = frozenset({"default", "enum", "const", "examples"})


def _clean_node(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean_node(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _LITERAL_KEYS:
            out[key] = value
        elif key in ("properties", "$defs", "patternProperties") and isinstance(value, dict):
            out[key] = {name: _clean_node(sub) for name, sub in value.items()}
        else:
            out[key] = _clean_node(value)
    return out


def describe_validation_error(exc: ValidationError) -> str:
    """A pydantic error as one line a model can act on: ``at 'a/b': message; ...``."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = "/".join(str(p) for p in err["loc"])
        parts.append(f"at '{loc}': {err['msg']}" if loc else err["msg"])
    return "; ".join(parts)
