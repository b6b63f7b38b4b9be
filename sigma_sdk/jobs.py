"""Long-running Sigma jobs in one call: ``export_workbook(client, workbook_id, to="sales.csv")``
streams an export to a file; ``wait_for_materialization`` awaits a materialization. Defined in the
hand-written ``sigma_sdk_auth.jobs`` (see its docstring), whose ``__all__`` is the one list of names.
"""

from sigma_sdk_auth.jobs import *  # noqa: F403
from sigma_sdk_auth.jobs import __all__ as __all__
