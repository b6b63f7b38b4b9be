"""The types only endpoint modules use: ``File`` (a multipart upload) and ``Response`` (``*_detailed``).

Public as ``sigma_sdk.types``; ``sigma_sdk_auth.types`` loads this module the first time one of its
names is used, so ``from sigma_sdk import Client`` and the models, which import only ``UNSET``, do
not build these attrs classes (about 0.5 ms each).
"""

from collections.abc import Mapping, MutableMapping
from typing import IO, BinaryIO, Generic, TypeVar

from attrs import define

from ._errors import ResponseValidationError
from ._public import publish

__all__ = ["File", "FileTypes", "RequestFiles", "Response"]

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


publish("sigma_sdk.types", globals(), __all__)  # what tracebacks and reprs name
