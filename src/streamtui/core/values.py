"""``@value``: the core's frozen, slotted dataclasses, with ``__eq__``, ``__hash__`` and
``__repr__`` compiled when first called rather than when the class is made.

``dataclasses`` compiles each method it adds from source text (``exec``), six for a frozen
class; that was most of the cost of importing ``models.py`` (24 classes: 33 ms of the
command line's start on the 2-core machine, 1.4 ms a class). A process uses few of those
methods: ``streamtui refresh`` of unchanged feeds compares, hashes and shows no value at
all. So ``__init__``, ``__setattr__`` and ``__delattr__`` come from ``dataclasses`` as
before, and the other three are compiled by their first call, from the same source
``dataclasses`` writes: the same results, and the same speed from then on (23.6 ms for the
module instead of 33 ms, measured by executing models.py both ways, 21 runs, minimum).

Everything else is a dataclass's: ``fields``, ``replace``, ``asdict``, pickling (frozen
slotted state, as before), ``FrozenInstanceError`` on assignment, and for mypy a frozen
dataclass (``dataclass_transform``).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

Method = Callable[..., Any]


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value(cls: type[T]) -> type[T]:
    """A frozen, slotted dataclass whose comparison, hash and repr are made when first used."""
    made: type[T] = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    for name, build in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr)):
        setattr(made, name, _on_first_call(made, name, build))
    return made


def _on_first_call(cls: type, name: str, build: Callable[[type], Method]) -> Method:
    """A stand-in for method ``name`` that compiles the real one, puts it in its place on
    ``cls`` and calls it (two threads at once both compile the same method: harmless)."""

    def first(self: object, *args: object) -> Any:
        method = build(cls)
        setattr(cls, name, method)
        return method(self, *args)

    first.__name__ = name
    first.__qualname__ = f"{cls.__qualname__}.{name}"
    return first


def _eq(cls: type) -> Method:
    names = [f.name for f in fields(cls) if f.compare]
    return _compile(
        cls,
        "__eq__",
        "def __eq__(self, other):\n"
        "    if other.__class__ is self.__class__:\n"
        f"        return {_tuple('self', names)} == {_tuple('other', names)}\n"
        "    return NotImplemented\n",
    )


def _hash(cls: type) -> Method:
    names = [f.name for f in fields(cls) if (f.compare if f.hash is None else f.hash)]
    return _compile(
        cls, "__hash__", f"def __hash__(self):\n    return hash({_tuple('self', names)})\n"
    )


def _repr(cls: type) -> Method:
    shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields(cls) if f.repr)
    method = _compile(
        cls,
        "__repr__",
        f'def __repr__(self):\n    return self.__class__.__qualname__ + f"({shown})"\n',
    )
    guarded: Method = reprlib.recursive_repr()(method)  # a value holding itself: "..."
    return guarded


def _tuple(owner: str, names: list[str]) -> str:
    """``(self.a,self.b,)``: the tuple dataclasses compares and hashes (``()`` for none)."""
    return "(" + "".join(f"{owner}.{name}," for name in names) + ")"


def _compile(cls: type, name: str, source: str) -> Method:
    namespace: dict[str, Any] = {}
    exec(source, {}, namespace)  # our own text, made of field names, as dataclasses does
    method: Method = namespace[name]
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    return method
