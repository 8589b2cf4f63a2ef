"""Forward one class's public API to an object another class holds, by names derived from it.

The controller holds an emulator and offers the emulator's API under the same names; the
loopback server offers the same names for whatever controller is attached. Nobody copies a
method: :func:`public_api` derives the names from the class itself, and :func:`forward_api`
gives the holding class one forwarder per name: a method that calls the held object's method
of the same name (carrying its docstring and ``__wrapped__``, so ``help()`` and
``inspect.signature`` show the real signature), or a property that reads and writes the held
object's attribute or property. Forwarders live on the class, so ``dir()`` lists them, and the
held object is looked up on every call, so whatever is held at that moment answers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["forward_api", "public_api"]

_C = TypeVar("_C", bound=type)


def public_api(cls: type) -> tuple[str, ...]:
    """The public names of ``cls``, in definition order (base classes first): its methods and
    properties, and the instance attributes its class bodies declare with an annotation.

    Public means not starting with ``_``; class constants (neither a function nor a property
    nor annotated) and ``object``'s own attributes are left out.
    """
    names: dict[str, None] = {}
    for klass in reversed(cls.__mro__[:-1]):
        annotated = inspect.get_annotations(klass)
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(value) or isinstance(value, property):
                names[name] = None
            elif name not in annotated:
                names.pop(name, None)  # a subclass turned it into a plain constant
        for name, annotation in annotated.items():
            if not name.startswith("_") and "ClassVar" not in str(annotation):
                names.setdefault(name, None)
    return tuple(names)


def _method(name: str, source: Callable[..., Any], to: str) -> Any:
    def forward(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(getattr(self, to), name)(*args, **kwargs)

    functools.update_wrapper(forward, source)
    forward.__forwarded__ = name  # type: ignore[attr-defined]
    return forward


def _property(name: str, doc: str | None, to: str, writable: bool) -> property:
    def get(self: Any) -> Any:
        return getattr(getattr(self, to), name)

    def put(self: Any, value: Any) -> None:
        setattr(getattr(self, to), name, value)

    return property(get, put if writable else None, doc=doc)


def forward_api(source: type, *, to: str) -> Callable[[_C], _C]:
    """A class decorator giving the class a forwarder for each name of ``public_api(source)``
    to ``getattr(self, to)`` (an attribute or property that may raise, e.g. a ``TypeError``
    when nothing suitable is held).

    Names the decorated class defines itself are left alone: its own version wins (one that
    adds an argument, say). The class gets ``FORWARDED``, the names given forwarders, and
    ``FORWARDED_API``, every name of ``source``'s API it offers (forwarded or its own); its
    docstring ends with that list, so the documentation cannot drift from the code.
    """

    def decorate(cls: _C) -> _C:
        api = public_api(source)
        forwarded: list[str] = []
        for name in api:
            if name in vars(cls):
                continue
            value = inspect.getattr_static(source, name, None)
            if inspect.isfunction(value):
                method = _method(name, value, to)
                method.__module__ = cls.__module__
                method.__qualname__ = f"{cls.__qualname__}.{name}"
                setattr(cls, name, method)
            elif isinstance(value, property):
                setattr(cls, name, _property(name, value.__doc__, to, value.fset is not None))
            else:  # an annotated instance attribute
                setattr(cls, name, _property(name, f"The held object's ``{name}``.", to, True))
            forwarded.append(name)
        cls.FORWARDED = tuple(forwarded)  # type: ignore[attr-defined]
        cls.FORWARDED_API = api  # type: ignore[attr-defined]
        if cls.__doc__ is not None:  # None under python -OO
            cls.__doc__ = cls.__doc__.rstrip() + "\n\n" + _listing(source, api)
        return cls

    return decorate


def _listing(source: type, api: tuple[str, ...]) -> str:
    """The docstring paragraph naming ``api``, wrapped and indented like a class docstring."""
    words = [f"``{name}``," for name in api]
    words[-1] = words[-1].rstrip(",") + "."
    text = f"The :class:`~{source.__module__}.{source.__qualname__}` API, under the same names:"
    lines, line = [], "    " + text
    for word in words:
        if len(line) + 1 + len(word) > 96:
            lines.append(line)
            line = "    " + word
        else:
            line += " " + word
    lines.append(line)
    return "\n".join(lines) + "\n"
