"""Where an export's file goes: a path written atomically (checked before the first request), or a file object."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .._errors import InvalidArgumentError
from ._results import ExportTarget

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_Target", "_check_writable"]


class _Target:
    """``to`` of an export: a path written atomically, or a binary file object written as given."""

    def __init__(self, to: ExportTarget) -> None:
        self.path: Path | None = None
        self.file: IO[bytes] | None = None
        if isinstance(to, str | os.PathLike):
            path = Path(to)
            if path.is_dir():
                raise InvalidArgumentError(f"to={str(path)!r} is a directory; give the path of the file to write")
            if not path.parent.is_dir():
                raise InvalidArgumentError(f"to={str(path)!r}: the directory {str(path.parent)!r} does not exist")
            _check_writable(path)
            self.path = path
        elif isinstance(to, io.TextIOBase):
            raise InvalidArgumentError("to is a text file; open it in binary mode ('wb') or pass a path")
        elif callable(getattr(to, "write", None)):
            writable = getattr(to, "writable", None)
            if callable(writable) and not writable():
                raise InvalidArgumentError(f"to={getattr(to, 'name', to)!r} is a file object not open for writing")
            self.file = to
        else:
            raise InvalidArgumentError(
                f"to must be a path (str or os.PathLike) or a writable binary file object, not {type(to).__name__}"
            )

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file to write the body to; for a path, renamed into place only if the block completes."""
        if self.path is None:
            assert self.file is not None
            yield self.file
            flush = getattr(self.file, "flush", None)
            if callable(flush):
                flush()
            return
        # os.open with O_EXCL and the default mode: the umask applies as for any new file (mkstemp
        # would make it 0600), and a name clash fails instead of overwriting someone else's file.
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.part")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        try:
            with open(descriptor, "wb", closefd=True) as file:
                yield file
                file.flush()
                os.fsync(file.fileno())  # the rename must not publish data still in the page cache
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise


def _check_writable(path: Path) -> None:
    """Raise :class:`InvalidArgumentError` naming ``path`` unless a file can be made beside it and it can
    be replaced, found out before the first request: a refused write must not cost an export.

    A real file is made and removed (``os.access`` says yes to root, and knows nothing of read-only mounts).
    """
    probe = path.with_name(f".{path.name}.{secrets.token_hex(6)}.probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        message = f"to={str(path)!r}: cannot write in the directory {str(path.parent)!r} ({reason})"
        raise InvalidArgumentError(message) from exc
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidArgumentError(f"to={str(path)!r}: the file exists and is not writable")
