"""A local fake of Sigma's REST API for your tests: ``from sigma_sdk.testing import run_standin``.

Hand-written in ``sigma_sdk_auth.testing`` (see its docstring for every endpoint, fault and
inspection method), whose ``__all__`` is the one list of names.
Importing ``sigma_sdk`` does not load it.
"""

from sigma_sdk_auth.testing import *  # noqa: F403
from sigma_sdk_auth.testing import __all__ as __all__
