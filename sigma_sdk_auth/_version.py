"""The SDK's version: the one source for the distribution's metadata, ``sigma_sdk.__version__`` and the User-Agent.

pyproject.toml reads it at build time (``[tool.hatch.version]``), so the installed version and this
literal cannot disagree, and reading it costs no ``importlib.metadata`` lookup at import.
"""

__version__ = "0.1.0"
