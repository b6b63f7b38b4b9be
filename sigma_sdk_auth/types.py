"""Shared types of the generated code: the `UNSET` sentinel, files, `Response` and `UnknownValue`.

Public as ``sigma_sdk.types``, which re-exports this module's ``__all__``: generated models and
endpoint modules import them from there.
"""

import enum
from collections.abc import Mapping, MutableMapping
from typing import IO, BinaryIO, Final, Generic, Literal, TypeVar

from attrs import define

from ._errors import ResponseValidationError
from ._forward import UnknownValue
from ._public import publish


class Unset(enum.Enum):
    """The type of `UNSET`: a field or parameter that was not given (distinct from ``None``/null).

    An enum of one member, so that `UNSET` is one object whatever happens to a model: ``copy``,
    ``deepcopy`` and ``pickle`` give back the very same member (a copied plain sentinel would be a
    second object, which ``to_dict()`` would then send as a value), and ``value is not UNSET``
    narrows ``X | Unset`` to ``X`` in mypy and pyright, as an enum literal does.
    """

    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    __str__ = __repr__


UNSET: Final = Unset.UNSET

# What ``httpx.Client(files=...)`` accepts.
FileContent = IO[bytes] | bytes | str
FileTypes = tuple[str | None, FileContent, str | None] | tuple[str | None, FileContent, str | None, Mapping[str, str]]
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """A file to upload in a multipart body."""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """The ``(filename, file, content type)`` tuple httpx sends as a multipart part."""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """What a ``*_detailed`` call returns: the raw answer and, for a 2xx, the parsed body."""

    status_code: int
    """The HTTP status as sent (an ``int``, so non-standard codes such as 520 are kept as they are)."""
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None
    """The parsed body for a 2xx answer, else ``None``."""
    error: ResponseValidationError | None = None
    """Why ``parsed`` is ``None`` for a 2xx answer whose body cannot become the declared type (what
    ``sync()`` would raise); ``None`` otherwise."""


__all__ = ["UNSET", "File", "FileTypes", "RequestFiles", "Response", "UnknownValue", "Unset"]

publish("sigma_sdk.types", globals(), __all__)  # what tracebacks and reprs name
