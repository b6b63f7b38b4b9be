"""Shared types of the generated code: the `UNSET` sentinel, files, `Response` and `UnknownValue`.

Public as ``sigma_sdk.types``, which re-exports this module's ``__all__``: generated models and
endpoint modules import them from there.  ``File``, ``Response`` and the file aliases live in
``_endpoint_types`` and load on first use (only endpoint modules need them), so importing the
client or a model does not build their attrs classes; type checkers see them through the
``TYPE_CHECKING`` import.
"""

import enum
from typing import TYPE_CHECKING, Final, Literal

from ._forward import UnknownValue
from ._lazy import lazy_names
from ._public import publish

if TYPE_CHECKING:
    from ._endpoint_types import File, FileTypes, RequestFiles, Response


class Unset(enum.Enum):
    """The type of `UNSET`: a field or parameter that was not given (distinct from ``None``/null).

    An enum of one member, so that `UNSET` is one object whatever happens to a model: ``copy``,
    ``deepcopy`` and ``pickle`` give back the very same member (a copied plain sentinel would be a
    second object, which ``to_dict()`` would then send as a value), and ``value is not UNSET``
    narrows ``X | Unset`` to ``X`` in mypy and pyright, as an enum literal does.
    """

    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    __str__ = __repr__


UNSET: Final = Unset.UNSET

__all__ = ["UNSET", "File", "FileTypes", "RequestFiles", "Response", "UnknownValue", "Unset"]
_LAZY: Final = dict.fromkeys(("File", "FileTypes", "RequestFiles", "Response"), "._endpoint_types")

publish("sigma_sdk.types", globals(), ["Unset"])  # what tracebacks and reprs name

if not TYPE_CHECKING:  # hidden from type checkers, so a misspelt name is an error, not Any
    __getattr__, __dir__ = lazy_names(globals(), _LAZY)
