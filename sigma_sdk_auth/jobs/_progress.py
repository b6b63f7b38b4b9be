"""Download progress: the caller's callback, or one self-overwriting line on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import IO, Final, TypeAlias

from .._errors import InvalidArgumentError
from ._results import ProgressCallback

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_Progress", "_TerminalProgress"]

_Clock: TypeAlias = Callable[[], float]


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


class _TerminalProgress:
    """One self-overwriting line on a terminal: bytes done (of total), rate, elapsed time."""

    _EVERY: Final = 0.2  # seconds between redraws: a line per chunk would cost more than the download

    def __init__(self, stream: IO[str], clock: _Clock) -> None:
        self._stream = stream
        self._clock = clock
        self._started = clock()
        self._drawn_at = -1.0
        self._last: tuple[int, int | None] = (0, None)

    def __call__(self, done: int, total: int | None) -> None:
        self._last = (done, total)
        now = self._clock()
        if now - self._drawn_at >= self._EVERY:
            self._drawn_at = now
            self._draw(done, total, now)

    def _draw(self, done: int, total: int | None, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        of_total = f" of {_size(total)} ({100 * done / total:.0f}%)" if total else ""
        line = f"\r{_size(done)}{of_total}, {_size(done / elapsed)}/s, {elapsed:.1f}s"
        self._stream.write(line.ljust(60))
        self._stream.flush()

    def finish(self) -> None:
        self._draw(*self._last, self._clock())
        self._stream.write("\n")
        self._stream.flush()


class _Progress:
    """Reports bytes to the caller's callback (or a terminal line); does nothing when not asked to."""

    def __init__(self, progress: ProgressCallback | bool | None, clock: _Clock) -> None:
        self._callback: ProgressCallback | None = None
        self._terminal: _TerminalProgress | None = None
        if progress is True:
            if sys.stderr is not None and sys.stderr.isatty():
                self._terminal = self._callback = _TerminalProgress(sys.stderr, clock)
        elif callable(progress):
            self._callback = progress
        elif progress not in (None, False):
            raise InvalidArgumentError(
                f"progress must be a callable (bytes_done, bytes_total) or True, not {type(progress).__name__}"
            )

    def __call__(self, done: int, total: int | None) -> None:
        if self._callback is not None:
            self._callback(done, total)

    def finish(self) -> None:
        if self._terminal is not None:
            self._terminal.finish()
