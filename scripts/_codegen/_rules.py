"""The project's normalization rules: ``openapi/normalization.toml``, reviewed like code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["RULES_PATH", "Rules"]

RULES_PATH = Path(__file__).resolve().parents[2] / "openapi" / "normalization.toml"


@dataclass(frozen=True)
class Rules:
    """Naming decisions the passes cannot infer from the spec."""

    # automatic name -> preferred name, for hoisted schemas
    rename: dict[str, str] = field(default_factory=dict)
    # names no hoisted schema may take (they would shadow the SDK's own public names)
    reserved: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = RULES_PATH) -> Rules:
        """Read the rules file; an unknown key is an error rather than a rule silently ignored."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - {"rename", "reserved"}
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)} (expected 'rename', 'reserved')")
        rename = data.get("rename", {})
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in rename.items()):
            raise ValueError(f"{path}: [rename] maps names to names (strings)")
        return cls(rename=dict(rename), reserved=frozenset(data.get("reserved", {}).get("names", ())))
