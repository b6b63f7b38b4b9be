"""``RetryPolicy``: how many times, and how patiently, to retry one request (``_retry`` has the rule).

A module of its own so that this attrs class, about 1 ms to build, is built when first used (a client
or auth constructed without a policy, or ``RetryPolicy`` named), not by ``from sigma_sdk import
Client``: ``sigma_sdk_auth`` and ``sigma_sdk`` export it through a module ``__getattr__``, and the
modules that construct the default policy import it there; elsewhere it is an annotation only.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import attrs

from ._public import publish

__all__ = ["RetryPolicy"]


def _non_negative(_instance: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"RetryPolicy.{attribute.name} must be >= 0, got {value!r}")


def _statuses(value: Iterable[int]) -> frozenset[int]:
    """A set of HTTP status codes, checked: each an int from 400 to 599 (2xx/3xx are never retried anyway)."""
    if isinstance(value, (str, bytes, int)):
        raise TypeError(f"give HTTP statuses as a collection of ints, e.g. {{500}}, not {value!r}")
    statuses = frozenset(value)
    wrong = sorted(repr(s) for s in statuses if isinstance(s, bool) or not isinstance(s, int) or not 400 <= s <= 599)
    if wrong:
        raise ValueError(f"retry statuses must be HTTP error statuses (ints 400-599), got {', '.join(wrong)}")
    return statuses


def _full_jitter(cap: float) -> float:
    return random.uniform(0.0, cap)


async def _asyncio_sleep(delay: float) -> None:
    # asyncio is imported here, not at module level: sync-only programs never pay for it (~60 ms).
    import asyncio

    await asyncio.sleep(delay)


@attrs.frozen
class RetryPolicy:
    """How many times, and how patiently, to retry one request.

    ``max_retries`` counts retries after the first attempt (0 disables retrying).
    ``initial_delay`` and ``max_delay`` bound the jittered exponential backoff; ``max_retry_after``
    is the longest server-advised ``Retry-After`` (seconds) that will be waited out.

    ``no_retry_statuses`` (keyword-only) are HTTP statuses returned at once, never retried, e.g.
    ``{500}`` where Sigma answers 500 for "not present"; ``retry_statuses`` are statuses retried
    like a 5xx (idempotent methods only) that the rule would not retry, e.g. ``{409}``.  A status in
    both is refused; 429 stays retried unless named in ``no_retry_statuses``.

    ``sleep`` (sync callers), ``async_sleep`` (async callers) and ``jitter`` (maps a backoff cap to
    the actual delay, ``uniform(0, cap)`` by default; results are clamped to ``[0, cap]``) are how
    the waiting is done.  ``clock`` (seconds, monotonic) is not used by retries: the job helpers
    (``sigma_sdk.jobs``) measure their deadlines on it, and sleep between polls with ``sleep`` /
    ``async_sleep``.  Keyword-only, and left out of equality and repr: two policies with the same
    numbers are the same policy.  Tests pass recording functions (and a fake clock) here instead of
    sleeping.
    """

    max_retries: int = attrs.field(default=2, validator=[attrs.validators.instance_of(int), _non_negative])
    initial_delay: float = attrs.field(default=0.5, validator=_non_negative)
    max_delay: float = attrs.field(default=8.0, validator=_non_negative)
    max_retry_after: float = attrs.field(default=60.0, validator=_non_negative)
    no_retry_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_statuses, kw_only=True)
    retry_statuses: frozenset[int] = attrs.field(default=frozenset(), converter=_statuses, kw_only=True)
    sleep: Callable[[float], None] = attrs.field(default=time.sleep, kw_only=True, eq=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = attrs.field(
        default=_asyncio_sleep, kw_only=True, eq=False, repr=False
    )
    jitter: Callable[[float], float] = attrs.field(default=_full_jitter, kw_only=True, eq=False, repr=False)
    clock: Callable[[], float] = attrs.field(default=time.monotonic, kw_only=True, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        both = self.no_retry_statuses & self.retry_statuses
        if both:
            raise ValueError(f"statuses {sorted(both)} are in both no_retry_statuses and retry_statuses")


publish("sigma_sdk", globals(), __all__)  # `from sigma_sdk import RetryPolicy`
