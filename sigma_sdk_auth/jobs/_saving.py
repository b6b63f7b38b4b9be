"""Saving one export's download: the body streamed into its target, a JSON error or a short body told apart."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Final

import httpx

from .._client import SigmaClient
from .._errors import APIConnectionError, APITimeoutError, JobFailedError
from .._scrubbing import safe_excerpt, scrubber
from ._files import _Target
from ._poll import _Poll
from ._progress import _Progress
from ._reading import _expected_size, _suggested_filename
from ._results import ExportResult, ExportTarget, ProgressCallback

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_Export"]

# Export formats whose file is JSON: a JSON body is the export; for any other format it is an error.
_JSON_FORMATS: Final = frozenset({"json", "jsonl"})
# How much of a JSON error body (where a file was expected) is kept to quote from.
_ERROR_BODY_LIMIT: Final = 64 * 1024


class _Export:
    """One export's file: where it goes, its progress and timing, and the bytes of the body so far."""

    def __init__(
        self,
        client: SigmaClient,
        to: ExportTarget,
        timeout: float | None,
        poll_interval: float | None,
        progress: ProgressCallback | bool | None,
        format: str | None = None,
    ) -> None:
        self.format = format  # None when not known (download_export): any body is then the file
        self.poll = _Poll("export", None, timeout, poll_interval, client)
        self.target = _Target(to)
        self.progress = _Progress(progress, self.poll.clock)
        self.total: int | None = None
        self.done = 0
        self.body_started = False  # from then on a failure is final: a file object already holds bytes

    @contextlib.contextmanager
    def receiving(self, response: httpx.Response) -> Iterator[Callable[[bytes], None]]:
        """Save ``response``'s body: the block passes each chunk to the function it gets.

        A path is renamed into place only if the block ends and the body is complete; a transport
        error in the block becomes :class:`APIConnectionError` (the partial file is discarded), or
        :class:`JobTimeoutError` if it is a read that stalled until the deadline.
        """
        self.body_started = True
        if self._is_json_error(response):
            body = bytearray()
            yield lambda chunk: body.extend(chunk[: max(0, _ERROR_BODY_LIMIT - len(body))])
            raise self._json_error(response, bytes(body))
        self.poll.status = "downloading"
        self.total, self.done = _expected_size(response), 0
        self.progress(0, self.total)
        with self.target.open() as file:

            def write(chunk: bytes) -> None:
                file.write(chunk)
                self.done += len(chunk)
                self.progress(self.done, self.total)
                if self.poll.expired:  # per chunk: the status text is built only when it is needed
                    self.poll.check(f"downloading ({self.done} bytes received)")

            try:
                yield write
            except httpx.TransportError as exc:
                left = self.poll.time_left
                if isinstance(exc, httpx.TimeoutException) and left is not None and left <= 0:
                    self.poll.status = f"downloading ({self.done} bytes received, then none in time)"
                    raise self.poll.timed_out() from exc
                raise self._broken(response, "broke", exc) from exc
            if self.total is not None and self.done != self.total:
                raise self._broken(response, "ended")
            self.progress.finish()

    def _is_json_error(self, response: httpx.Response) -> bool:
        """Whether a ready answer is JSON where a file of another format was asked for: Sigma's error."""
        if self.format is None or self.format in _JSON_FORMATS:
            return False
        media_type = str(response.headers.get("content-type", "")).partition(";")[0].strip().lower()
        return media_type == "application/json" or media_type.endswith("+json")

    def _json_error(self, response: httpx.Response, body: bytes) -> JobFailedError:
        """The error for a JSON answer where a ``self.format`` file was expected, quoting Sigma's message."""
        scrub = scrubber(response)
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):  # cut at the limit, or not JSON after all
            parsed = None
        fields = parsed if isinstance(parsed, dict) else {}
        said = next((fields[key] for key in ("message", "error") if isinstance(fields.get(key), str)), None)
        error = safe_excerpt(said if said is not None else body.decode("utf-8", "replace"), scrub)
        return self.poll.error(
            JobFailedError,
            f"export {self.poll.job_id} answered HTTP {response.status_code} with a JSON error instead of the "
            f"{self.format} file: {error!r} (nothing was written)",
            status="failed",
            error=error,
        )

    def _broken(self, response: httpx.Response, how: str, error: Exception | None = None) -> APIConnectionError:
        """The SDK error for a body that broke off or ended short (the partial file is discarded)."""
        of_total = f" of {self.total}" if self.total is not None else ""
        message = f"the download of export {self.poll.job_id} {how} after {self.done}{of_total} bytes"
        if error is not None:
            message = f"{message}: {type(error).__name__}: {error}".rstrip(": ")
        kind = APITimeoutError if isinstance(error, httpx.TimeoutException) else APIConnectionError
        return kind(message, request=response.request)

    def result(self, response: httpx.Response) -> ExportResult:
        return ExportResult(
            query_id=str(self.poll.job_id),
            path=self.target.path,
            bytes_written=self.done,
            content_type=response.headers.get("content-type"),
            filename=_suggested_filename(response.headers.get("content-disposition")),
            elapsed=self.poll.elapsed,
        )
