"""Forwarding a class's public API to another object, by names derived from that class.

The loopback server offers its controller's methods under the same names; rather than copy
each one by hand (and let the copies drift), :func:`forward_api` generates one forwarder per
name of :func:`public_api` of the source class: a method that calls the target's method of the
same name, or a property that reads (and, if the source's can, writes) the target's. Each
forwarder carries the source's docstring and ``__wrapped__`` (so ``help()`` and
``inspect.signature`` show the real signature), and lives on the class (so ``dir()`` lists
it). The target is looked up on every call, so whatever is attached at that moment answers.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["forward_api", "public_api"]

_C = TypeVar("_C", bound=type)


def public_api(cls: type) -> tuple[str, ...]:
    """The public methods and properties ``cls`` defines or inherits, in definition order.

    Public means not starting with ``_``; class attributes that are neither a function nor a
    property (constants) are left out, and so are attributes set in ``__init__`` (an
    instance's, not the class's).
    """
    names: dict[str, None] = {}
    for klass in reversed(cls.__mro__[:-1]):  # object's own attributes are nobody's API
        for name, value in vars(klass).items():
            if name.startswith("_"):
                continue
            if inspect.isfunction(value) or isinstance(value, property):
                names[name] = None
            else:
                names.pop(name, None)  # a subclass turned it into a plain attribute
    return tuple(names)


def _method(name: str, source: Callable[..., Any], target: Callable[[Any], Any]) -> Any:
    def forward(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        return getattr(target(self), name)(*args, **kwargs)

    functools.update_wrapper(forward, source)
    forward.__forwarded__ = name  # type: ignore[attr-defined]
    return forward


def _property(name: str, source: property, target: Callable[[Any], Any]) -> property:
    def get(self: Any) -> Any:
        return getattr(target(self), name)

    def set_(self: Any, value: Any) -> None:
        setattr(target(self), name, value)

    return property(get, set_ if source.fset is not None else None, doc=source.__doc__)


def forward_api(source: type, *, target: Callable[[Any], Any]) -> Callable[[_C], _C]:
    """A class decorator adding a forwarder for each name of ``public_api(source)``.

    ``target(instance)`` gives the object each call goes to (it may raise, e.g. a
    ``TypeError`` when nothing suitable is attached). Names the decorated class defines itself
    are left alone: its own version wins (one that adds an argument, say). The decorated class
    gets ``FORWARDED``, the names given forwarders, and ``CONTROLLER_API``, every name of
    ``source``'s API it offers (forwarded or its own); its docstring ends with that list.
    """

    def decorate(cls: _C) -> _C:
        api = public_api(source)
        forwarded: list[str] = []
        for name in api:
            if name in vars(cls):
                continue
            value = inspect.getattr_static(source, name)
            if isinstance(value, property):
                setattr(cls, name, _property(name, value, target))
            else:
                method = _method(name, value, target)
                method.__module__ = cls.__module__
                method.__qualname__ = f"{cls.__qualname__}.{name}"
                setattr(cls, name, method)
            forwarded.append(name)
        cls.FORWARDED = tuple(forwarded)  # type: ignore[attr-defined]
        cls.CONTROLLER_API = api  # type: ignore[attr-defined]
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
