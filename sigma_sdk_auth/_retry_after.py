"""What a ``Retry-After`` header advises, in seconds.

A module of its own because three places read the header and none of them owns it: the error
mapping (``_error_responses`` fills ``RateLimitError.retry_after``), the retry rule (``_retry.decide``
waits as long as the server advises) and job polling (``jobs`` backs off a rate-limited poll).  Kept
apart from the retry rule, the error mapping does not depend on the retry machinery.
"""

from __future__ import annotations

import math
import time

__all__ = ["parse_retry_after"]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None.

    A date in the past means "now" (0.0); garbage means "no advice" (None) rather than an error,
    because a malformed header must not turn a retryable 429 into a crash.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        if math.isnan(seconds) or math.isinf(seconds):
            return None
        return max(0.0, seconds)
    try:
        import email.utils  # only HTTP-date Retry-After values need it

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means the zone was missing.
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
