"""The jobs' drivers: a job's flow run by the shared engine (``_flow.run`` / ``arun``) with its client's I/O."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from .._client import SigmaClient
from .._flow import Flow, arun, run
from ._flows import _Build

# What the rest of the package imports from here; nothing in this module is public.
__all__ = ["_arun", "_run"]

_T = TypeVar("_T")
_P = ParamSpec("_P")


def _run(
    client: SigmaClient, job: Callable[Concatenate[_Build, _P], Flow[_T]], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """Run ``job(build, *args, **kwargs)`` with blocking I/O; ``build`` makes requests the way ``client`` does."""
    build, io = client._sync_flow_io()
    return run(job(build, *args, **kwargs), io)


async def _arun(
    client: SigmaClient, job: Callable[Concatenate[_Build, _P], Flow[_T]], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """Async twin of :func:`_run`: the client's pool for the running loop, ``retry_policy.async_sleep``."""
    build, io = client._async_flow_io()
    return await arun(job(build, *args, **kwargs), io)
