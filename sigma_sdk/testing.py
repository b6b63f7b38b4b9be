"""A local fake of Sigma's REST API for your tests: ``from sigma_sdk.testing import run_standin``.

Hand-written in ``sigma_sdk_auth.testing`` (see its docstring for every endpoint, fault and
inspection method), whose ``__all__`` is the one list of names.
Importing ``sigma_sdk`` does not load it. ``python -m sigma_sdk.testing`` starts it from a shell and
prints the ``SIGMA_*`` settings to use (``--help`` for its seeding options).
"""

from sigma_sdk_auth.testing import *  # noqa: F403
from sigma_sdk_auth.testing import __all__ as __all__

if __name__ == "__main__":  # python -m sigma_sdk.testing: start it from a shell (see --help)
    raise SystemExit(run_from_command_line())  # noqa: F405 - one of the names imported above
