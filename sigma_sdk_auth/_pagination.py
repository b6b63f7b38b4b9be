"""Auto-pagination helpers called by the generated ``iterate`` / ``aiterate`` functions.

Sigma pages lists in two styles (both reduce to "fetch the page for this cursor, get entries and
the next cursor"):

* ``page`` / ``limit``: ``{entries, nextPage, hasMore?, total?}``; ``nextPage`` is a string, or
  null on the last page.  The deprecated ``hasMore`` (seen as the string ``"true"``) is **not**
  consulted: ``nextPage`` alone decides whether there is another page.
* ``pageToken`` / ``pageSize``: ``{entries, nextPageToken}``; the token is absent on the last page.

The generated code supplies ``fetch_page(cursor)``, which calls the endpoint with ``page=cursor``
(or ``page_token=cursor``) and the largest page size, and returns ``(entries, next_cursor(...))``.
Cursors are opaque: they are handed back to ``fetch_page`` exactly as received, never decoded or
re-encoded (some ``nextPage`` values arrive already URL-encoded).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Final, TypeVar

from ._errors import PaginationCursorError, PaginationLoopError

if TYPE_CHECKING:
    from ._validation import Operation

__all__ = ["Cursor", "aiterate_pages", "iterate_pages", "next_cursor"]

T = TypeVar("T")

Cursor = str
"""An opaque page cursor (``nextPage`` or ``nextPageToken``), passed back verbatim."""

_CURSOR_PREVIEW: Final = 60


def next_cursor(value: object, operation: Operation | None = None) -> Cursor | None:
    """Normalise a parsed ``nextPage`` / ``nextPageToken`` field to a cursor or None (last page).

    ``None``, the generated ``UNSET`` sentinel, ``""`` and any other falsy value mean "no further
    page".  A string is returned unchanged.  A non-zero integer (not a bool) is accepted as its
    decimal text, for servers that send numeric page numbers.  Anything else (``True``, ``1.5``, an
    object) is not a cursor and raises :class:`PaginationCursorError` naming ``operation`` rather than
    guessing.
    """
    if isinstance(value, str):
        return value or None
    if not value:  # None, UNSET, False, 0
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    where = f"{operation.operation_id} ({operation.method} {operation.path})" if operation else "A list operation"
    raise PaginationCursorError(
        f"{where} answered a page whose next-page cursor is {value!r} ({type(value).__name__}); "
        "expected a string or null, so iterating cannot go on"
    )


def _preview(cursor: Cursor) -> str:
    text = cursor if len(cursor) <= _CURSOR_PREVIEW else cursor[: _CURSOR_PREVIEW - 3] + "..."
    return repr(text)


class _CursorGuard:
    """Shared bookkeeping for the sync and async loops: stop, continue, or detect a cycle."""

    def __init__(self) -> None:
        self._seen: set[Cursor] = set()
        self.pages = 0

    def advance(self, cursor: Cursor | None) -> Cursor | None:
        """Return the cursor for the next fetch, None when done; raise on a repeated cursor."""
        self.pages += 1
        if cursor is None or cursor == "":
            return None
        if cursor in self._seen:
            raise PaginationLoopError(
                f"The server returned page cursor {_preview(cursor)} again after {self.pages} page(s); "
                "stopping to avoid an endless loop."
            )
        self._seen.add(cursor)
        return cursor


def iterate_pages(fetch_page: Callable[[Cursor | None], tuple[Sequence[T], Cursor | None]]) -> Iterator[T]:
    """Yield every entry of every page, fetching lazily (the first page on the first ``next``).

    ``fetch_page(None)`` fetches the first page; each later call gets the previous page's
    cursor exactly as returned.  Ends when the cursor is None (or ``""``).  Raises
    :class:`PaginationLoopError` (a :class:`SigmaError`) if a cursor repeats, after yielding
    the entries of the page that carried it.
    """
    guard = _CursorGuard()
    cursor: Cursor | None = None
    while True:
        entries, returned = fetch_page(cursor)
        yield from entries
        cursor = guard.advance(returned)
        if cursor is None:
            return


async def aiterate_pages(
    fetch_page: Callable[[Cursor | None], Awaitable[tuple[Sequence[T], Cursor | None]]],
) -> AsyncIterator[T]:
    """Async twin of :func:`iterate_pages`: ``async for entry in aiterate_pages(fetch): ...``."""
    guard = _CursorGuard()
    cursor: Cursor | None = None
    while True:
        entries, returned = await fetch_page(cursor)
        for entry in entries:
            yield entry
        cursor = guard.advance(returned)
        if cursor is None:
            return
