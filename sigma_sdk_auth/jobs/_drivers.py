"""The drivers: the only code that differs between sync and async; each performs a flow's steps."""

from __future__ import annotations

import contextlib
from typing import TypeVar

from .._client import SigmaClient
from .._errors import SigmaError
from ._reading import _ready
from ._steps import _advance, _Done, _Flow, _Reply, _Request, _Sleep

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_arun", "_run"]

_T = TypeVar("_T")


def _run(client: SigmaClient, flow: _Flow[_T]) -> _T:
    """Perform ``flow``'s steps with blocking I/O until it returns; SDK errors are thrown back into it."""
    once = client.with_options(max_retries=0)  # the flow retries, minding the job's deadline
    reply: _Reply = None
    with contextlib.closing(flow):
        while not isinstance(step := _advance(flow, reply), _Done):
            try:
                if isinstance(step, _Sleep):
                    client.retry_policy.sleep(step.delay)
                    reply = None
                elif isinstance(step, _Request):
                    reply = once.request(step.method, step.path, json=step.body, timeout=step.timeout)
                else:
                    with once.stream(step.method, step.path, timeout=step.timeout) as reply:
                        if _ready(reply):
                            with step.export.receiving(reply) as write:
                                for chunk in reply.iter_bytes():
                                    write(chunk)
            except SigmaError as exc:
                reply = exc
    return step.value


async def _arun(client: SigmaClient, flow: _Flow[_T]) -> _T:
    """Async twin of :func:`_run`: awaits the requests and ``retry_policy.async_sleep``."""
    once = client.with_options(max_retries=0)
    reply: _Reply = None
    with contextlib.closing(flow):
        while not isinstance(step := _advance(flow, reply), _Done):
            try:
                if isinstance(step, _Sleep):
                    await client.retry_policy.async_sleep(step.delay)
                    reply = None
                elif isinstance(step, _Request):
                    reply = await once.arequest(step.method, step.path, json=step.body, timeout=step.timeout)
                else:
                    async with once.astream(step.method, step.path, timeout=step.timeout) as reply:
                        if _ready(reply):
                            # A file write blocks the loop for as long as a local write of one chunk takes.
                            with step.export.receiving(reply) as write:
                                async for chunk in reply.aiter_bytes():
                                    write(chunk)
            except SigmaError as exc:
                reply = exc
    return step.value
