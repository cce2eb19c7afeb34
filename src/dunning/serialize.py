"""Plain-data (JSON-ready) round trips for records and events.

`to_data` turns attrs records into dicts of strings, numbers, lists and dicts: dates as ISO
strings, `Money` as ``{"amount": "12.50", "currency": "EUR"}``, Decimals as strings. Events get
a ``"type"`` key. `from_data` reverses it using the classes' type annotations.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs

from . import events as _events
from . import model as _model
from .errors import DataError
from .money import Money

__all__ = ["event_from_data", "event_to_data", "from_data", "to_data"]

T = TypeVar("T")

EVENT_TYPES: dict[str, type[_events.Event]] = {
    name: getattr(_events, name) for name in _events.__all__ if name != "Event"
}


def to_data(value: Any) -> Any:
    """A JSON-ready copy of ``value``."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if attrs.has(type(value)):
        return {f.name: to_data(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, frozenset | set):
        return [to_data(v) for v in sorted(value)]
    if isinstance(value, tuple | list):
        return [to_data(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    return value


_NAMESPACE: dict[str, Any] = {
    **{n: getattr(_model, n) for n in _model.__all__},
    **{n: getattr(_events, n) for n in _events.__all__},
    "Money": Money,
    "date": date,
    "datetime": datetime,
    "time": time,
    "Decimal": Decimal,
}


def from_data(data: Any, kind: Any) -> Any:
    """Rebuild a value of type ``kind`` from `to_data` output."""
    if isinstance(kind, str):
        kind = eval(kind, dict(_NAMESPACE))  # annotations of our own modules only
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(kind) if a is not type(None)]
        if data is None:
            return None
        return from_data(data, options[0])
    if origin is typing.Literal:
        return data
    if kind is Any or kind is object:
        return data
    if origin is tuple:
        args = get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_data(v, args[0]) for v in data)
        return tuple(from_data(v, a) for v, a in zip(data, args, strict=True))
    if origin is frozenset:
        (arg,) = get_args(kind)
        return frozenset(from_data(v, arg) for v in data)
    if kind is Money:
        return Money(data["amount"], data["currency"])
    if kind is datetime:
        return datetime.fromisoformat(data)
    if kind is date:
        return date.fromisoformat(data)
    if kind is Decimal:
        return Decimal(data)
    if isinstance(kind, type) and attrs.has(kind):
        names = {**vars(sys.modules[kind.__module__]), **_NAMESPACE}
        hints = typing.get_type_hints(kind, globalns=names, localns=names)
        kwargs = {
            f.name: from_data(data[f.name], hints[f.name])
            for f in attrs.fields(kind)
            if f.name in data and f.init
        }
        return kind(**kwargs)
    if kind in (str, int, bool):
        return kind(data)
    return data


def event_to_data(event: _events.Event) -> dict[str, Any]:
    """An event as a dict with its ``type``."""
    return {"type": type(event).__name__, **to_data(event)}


def event_from_data(data: Mapping[str, Any]) -> _events.Event:
    """Rebuild an event written by `event_to_data`."""
    name = data.get("type")
    if name not in EVENT_TYPES:
        raise DataError(f"unknown event type {name!r}", record="event", field="type")
    fields = {k: v for k, v in data.items() if k != "type"}
    result: _events.Event = from_data(fields, EVENT_TYPES[name])
    return result
