"""A faster ``__init__`` for frozen dataclasses that are built in hot loops."""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import TypeVar

_C = TypeVar("_C")


def set_in_one_write(cls: type[_C]) -> type[_C]:
    """Replaces the ``__init__`` of the frozen dataclass ``cls`` (without slots) by one with
    the same signature that writes every field into the instance's ``__dict__`` at once.

    The generated ``__init__`` of a frozen dataclass calls ``object.__setattr__`` once per
    field: for ``LoanTerms`` that was an eighth of building a schedule (measured with
    callgrind). ``__post_init__`` still runs; equality, ``repr``, ``replace`` and freezing are
    the dataclass's own.
    """
    names = [field.name for field in fields(cls)]  # type: ignore[arg-type]
    defaults = {}
    for field in fields(cls):  # type: ignore[arg-type]
        if field.default_factory is not MISSING or not field.init or field.kw_only:
            raise TypeError(f"{cls.__name__}.{field.name}: only plain fields are supported")
        if field.default is not MISSING:
            defaults[field.name] = field.default
    parameters = ", ".join(
        f"{name}=_defaults[{name!r}]" if name in defaults else name for name in names
    )
    values = ", ".join(f"{name!r}: {name}" for name in names)
    post_init = "\n    self.__post_init__()" if hasattr(cls, "__post_init__") else ""
    source = (
        f"def __init__(self, {parameters}):\n    _set(self, '__dict__', {{{values}}}){post_init}\n"
    )
    namespace: dict[str, object] = {"_defaults": defaults, "_set": object.__setattr__}
    exec(source, namespace)  # the source is built from the dataclass's own field names
    function = namespace["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    cls.__init__ = function  # type: ignore[assignment]
    return cls
