"""Partial validation of a typed output whose JSON is still streaming.

``{"title": "Pa`` becomes ``Plan(title="Pa", days=None)``: the JSON is read with ``allow_partial``
(an open string is kept as far as it arrived, a number still streaming is left out until it ends), then
validated. What validates as the whole output type is used as it is. A pydantic model that does not
validate yet (a required field has not arrived) is built field by field with ``model_construct``: each
present field validated on its own (nested models and lists of models the same way, recursively),
missing required fields set to ``None``; ``model_fields_set`` names the fields that arrived.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Annotated, Any, Final, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import from_json

from agentkit._output import OutputSpec

__all__ = ["NOTHING", "PartialValidator", "parse_partial"]

OutputT = TypeVar("OutputT")

NOTHING: Final = object()
"""No value (yet): the JSON so far holds nothing that validates."""

_NUMBER_CHARS = frozenset("0123456789.eE+-")
_NUMBER_STARTS = frozenset("0123456789-")


def parse_partial(text: str) -> Any:
    """The JSON value that ``text`` (a prefix of a JSON document) holds so far, or :data:`NOTHING`."""
    try:
        return from_json(_without_open_number(text), allow_partial="trailing-strings")
    except ValueError:
        return NOTHING


def _without_open_number(text: str) -> str:
    """``text`` without a number at its very end: ``12`` may be the start of ``125``."""
    end = len(text)
    while end and text[end - 1] in _NUMBER_CHARS:
        end -= 1
    if end == len(text) or text[end] not in _NUMBER_STARTS or _inside_string(text, end):
        return text  # no number there (``true`` ends in ``e`` too), or digits inside a string
    return text[:end]


def _inside_string(text: str, end: int) -> bool:
    """Whether ``text[:end]`` ends inside a JSON string."""
    inside = escaped = False
    for char in text[:end]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = inside
        elif char == '"':
            inside = not inside
    return inside


class PartialValidator(Generic[OutputT]):
    """Partial values of one output type, from the output tool's arguments as they stream."""

    def __init__(self, spec: OutputSpec[OutputT]) -> None:
        self.spec = spec
        self._adapters: dict[tuple[Any, str], TypeAdapter[Any]] = {}

    def from_arguments(self, arguments: str) -> Any:
        """The partial output in ``arguments`` (the output tool's JSON so far), or :data:`NOTHING`."""
        data = parse_partial(arguments)
        if self.spec.wrapped:
            data = data.get("result", NOTHING) if isinstance(data, dict) else NOTHING
        if data is NOTHING:
            return NOTHING
        return self._value(self.spec.output_type, data, self.spec.adapter)

    def _value(self, tp: Any, data: Any, adapter: TypeAdapter[Any]) -> Any:
        """``data`` validated as ``tp``, or as much of it as validates, or :data:`NOTHING`."""
        try:
            return adapter.validate_python(data)
        except ValidationError:
            pass
        model = _model_in(tp)
        if model is not None and isinstance(data, dict):
            return self._construct(model, data)
        item = _list_item(tp)
        if item is not None and isinstance(data, list):
            item_adapter = self._adapter((tp, "[]"), item)
            values = [self._value(item, element, item_adapter) for element in data]
            return [value for value in values if value is not NOTHING]
        try:  # other containers: pydantic drops an incomplete last item
            return adapter.validate_python(data, experimental_allow_partial=True)
        except ValidationError:
            return NOTHING

    def _construct(self, model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
        """An instance of ``model`` with the fields of ``data`` that validate; required ones missing are None."""
        values: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            key = _key(name, field)
            if key not in data:
                continue
            value = self._value(field.annotation, data[key], self._adapter((model, name), _annotated(field)))
            if value is not NOTHING:
                values[name] = value
        missing = {name: None for name, f in model.model_fields.items() if name not in values and f.is_required()}
        return model.model_construct(_fields_set=set(values), **values, **missing)

    def _adapter(self, key: tuple[Any, str], tp: Any) -> TypeAdapter[Any]:
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = self._adapters[key] = TypeAdapter(tp)
        return adapter


def _annotated(field: FieldInfo) -> Any:
    """The field's type with its constraints (``min_length`` ...), for validating it alone."""
    if not field.metadata:
        return field.annotation
    return Annotated.__class_getitem__((field.annotation, *field.metadata))  # type: ignore[attr-defined]


def _key(name: str, field: FieldInfo) -> str:
    """The key of the field in the JSON."""
    alias = field.validation_alias
    return alias if isinstance(alias, str) else field.alias or name


def _model_in(tp: Any) -> type[BaseModel] | None:
    """The pydantic model ``tp`` is, or is optionally (``Model | None``)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
        return _model_in(args[0]) if len(args) == 1 else None
    return None


def _list_item(tp: Any) -> Any:
    """The item type of ``list[X]`` / ``Sequence[X]``, else ``None``."""
    if typing.get_origin(tp) in (list, collections.abc.Sequence):
        args = typing.get_args(tp)
        return args[0] if args else None
    return None
