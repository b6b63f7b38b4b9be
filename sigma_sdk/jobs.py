# Hand-written: copied by scripts/regenerate.py from templates/handwritten/jobs.py — edit it there.
"""Long-running Sigma jobs in one call: exports streamed to a file, materializations awaited.

    from sigma_sdk.jobs import export_workbook, wait_for_materialization

    result = export_workbook(client, workbook_id, element_id=element_id, to="sales.csv", progress=True)
    print(result.bytes_written, result.filename)

Each function polls with capped backoff, honours ``Retry-After`` and Sigma's export rate limit, and
raises ``sigma_sdk.errors.JobTimeoutError`` / ``JobFailedError`` naming the job, its last status and
the elapsed time.  A path given as ``to`` is written atomically, in constant memory.  Defined in the
hand-written ``sigma_sdk_auth.jobs``, whose ``__all__`` is the one list of names.
"""

from sigma_sdk_auth.jobs import *  # noqa: F403
from sigma_sdk_auth.jobs import __all__ as __all__
