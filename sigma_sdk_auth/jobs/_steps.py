"""The steps a job's flow yields (sleep, send a request, stream a download) and how a flow is advanced."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar, cast

import attrs
import httpx

from .._errors import SigmaError
from ._saving import _Export

# What the rest of the package imports from here; nothing in this module is public.
__all__ = [
    "_Done",
    "_Fetch",
    "_Flow",
    "_Reply",
    "_Request",
    "_Sleep",
    "_Step",
    "_advance",
]

_T = TypeVar("_T")


@attrs.frozen
class _Sleep:
    """Step: wait ``delay`` seconds (the client's ``retry_policy.sleep`` / ``async_sleep``)."""

    delay: float


@attrs.frozen
class _Request:
    """Step: ``client.request(method, path, json=body, timeout=timeout)`` (or ``arequest``), one
    attempt; the response goes back."""

    method: str
    path: str
    body: Any = None
    timeout: httpx.Timeout | None = None  # None only in the template that _answer copies for each attempt


@attrs.frozen
class _Fetch:
    """Step: stream GET ``path`` (one attempt, ``timeout`` as for :class:`_Request`); a ready answer's
    body goes through ``export.receiving``, then the (closed) response goes back."""

    path: str
    export: _Export
    timeout: httpx.Timeout | None = None
    method: ClassVar[str] = "GET"


_Step: TypeAlias = _Sleep | _Request | _Fetch
# A flow yields steps, is sent each request's response (None after a sleep), and returns its result.
_Flow: TypeAlias = Generator[_Step, httpx.Response | None, _T]
_Reply: TypeAlias = httpx.Response | SigmaError | None  # what a step came to: sent, or thrown, into the flow


@attrs.frozen
class _Done(Generic[_T]):
    """What a finished flow returned."""

    value: _T


def _advance(flow: _Flow[_T], reply: _Reply) -> _Step | _Done[_T]:
    """The flow's next step, given the last step's reply (an SDK error is thrown into the flow)."""
    try:
        return flow.throw(reply) if isinstance(reply, SigmaError) else flow.send(reply)
    except StopIteration as finished:
        return _Done(cast(_T, finished.value))
