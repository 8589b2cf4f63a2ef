"""Forward one object's public API to another it holds, by a name list derived from a class.

The controller holds an emulator and offers the emulator's settings API under the same
names (the loopback server can hold a controller the same way): :func:`public_api` derives
the names from the class itself, so a method added to the emulator is forwarded without
anyone copying it, and :func:`delegate` installs one forwarding property per name.
"""

from __future__ import annotations

import inspect
import operator
from collections.abc import Iterable
from types import FunctionType
from typing import Any

__all__ = ["delegate", "public_api"]


def public_api(cls: type) -> tuple[str, ...]:
    """The public names of ``cls``, sorted: its methods and properties, and the instance
    attributes its class body declares with an annotation (names starting with ``_`` and the
    attributes of ``object`` left out)."""
    names = {name for name in dir(cls) if not name.startswith("_")}
    for klass in cls.__mro__:
        if klass is not object:
            names.update(n for n in inspect.get_annotations(klass) if not n.startswith("_"))
    return tuple(sorted(names))


def _forwarder(name: str, to: str, doc: str | None) -> property:
    get = operator.attrgetter(f"{to}.{name}")

    def put(self: Any, value: Any) -> None:
        setattr(getattr(self, to), name, value)

    return property(get, put, doc=doc)


def delegate(cls: type, names: Iterable[str], *, to: str, source: type) -> tuple[str, ...]:
    """Give ``cls`` a property per name that reads (and sets) ``getattr(self, to).name``.

    A name ``cls`` defines itself keeps its own definition. Each property carries the
    docstring of the same name on ``source`` (the class of the object forwarded to), so
    ``help()`` and documentation tools show the real one. Returns the names forwarded.
    """
    forwarded = []
    for name in names:
        if name in vars(cls):
            continue
        member = inspect.getattr_static(source, name, None)
        doc = inspect.getdoc(member) if isinstance(member, (property, FunctionType)) else None
        setattr(cls, name, _forwarder(name, to, doc))
        forwarded.append(name)
    return tuple(forwarded)
