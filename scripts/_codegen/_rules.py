"""The project's normalization rules: ``openapi/normalization.toml``, reviewed like code."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ._published import SURFACE_PATH, Published, load_published

__all__ = ["RULES_PATH", "Rules"]

RULES_PATH = Path(__file__).resolve().parents[2] / "openapi" / "normalization.toml"
_KEYS = ("rename", "reserved", "operation_ids")


@dataclass(frozen=True)
class Rules:
    """Naming decisions the passes cannot infer from the spec."""

    # automatic name -> preferred name, for hoisted schemas
    rename: dict[str, str] = field(default_factory=dict)
    # names no hoisted schema may take (they would shadow the SDK's own public names)
    reserved: frozenset[str] = frozenset()
    # "METHOD /path" -> operationId, for operations whose own is missing, unusable or a duplicate
    operation_ids: dict[str, str] = field(default_factory=dict)
    # names already published in openapi/api-surface.json (see _published.py); empty: name afresh
    published: dict[str, Published] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = RULES_PATH, surface: Path = SURFACE_PATH) -> Rules:
        """Read the rules file and the published names; an unknown key is an error, not a rule ignored."""
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        unknown = set(data) - set(_KEYS)
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)} (expected {', '.join(map(repr, _KEYS))})")
        tables = {key: data.get(key, {}) for key in ("rename", "operation_ids")}
        for key, table in tables.items():
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
                raise ValueError(f"{path}: [{key}] maps strings to strings")
        return cls(
            rename=dict(tables["rename"]),
            reserved=frozenset(data.get("reserved", {}).get("names", ())),
            operation_ids=dict(tables["operation_ids"]),
            published=load_published(surface),
        )
