"""Problems in a spec that stop generation, gathered so that one run lists every one of them.

A pass that finds something it cannot generate from (an operation without a usable operationId,
two operations with one name, a ``$ref`` to nothing) records a ``SpecProblem`` saying where (method
and path, or a JSON location), what, and what to do; ``SpecProblems`` carries them all, and
``regenerate.py`` prints it without a traceback and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SpecProblem", "SpecProblems"]


@dataclass(frozen=True, order=True)
class SpecProblem:
    """One problem: where it is (``GET /v2/foo``), what is wrong, and what to do about it."""

    where: str
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}\n    fix: {self.fix}"


class SpecProblems(ValueError):
    """The spec cannot be generated from as it is; ``problems`` lists every reason found."""

    def __init__(self, problems: list[SpecProblem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"the spec cannot be used as it is ({len(self.problems)} problem(s)):"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)
