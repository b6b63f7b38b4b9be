"""The memory of published model names: a name, once published, stays with its schema.

Each name the naming pass gives a hoisted schema is recorded in ``openapi/api-surface.json`` under
``names``: the shape's identity (a hash of its content, documentation ignored) and its origins, the
places it was hoisted from (``listWorkbooks#/responses/200/properties/entries/items``: an
operationId and a JSON pointer inside that operation, or ``#/components/schemas/X/...``). On the
next regeneration a schema gets back its published name when it has the same content (wherever it
now appears), else when it comes from the same place (a field was added); only schemas that match
neither are named afresh, and never with a name that was ever published. Names that leave the API
stay recorded, so they are not handed to a different schema later.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["EXTENSION", "SURFACE_KEY", "SURFACE_PATH", "Published", "claim_published_names", "load_published"]

SURFACE_PATH = Path(__file__).resolve().parents[2] / "openapi" / "api-surface.json"
SURFACE_KEY = "names"  # api-surface.json's key for this memory
EXTENSION = "x-sigma-sdk-names"  # where the naming pass leaves it in the normalized spec, for surface()


@dataclass(frozen=True)
class Published:
    """What a published name was given to: a shape (content hash) found at some origins."""

    shape: str
    origins: frozenset[str]

    def as_json(self) -> dict[str, Any]:
        return {"shape": self.shape, "origins": sorted(self.origins)}


def load_published(path: Path = SURFACE_PATH) -> dict[str, Published]:
    """The published names recorded in the committed surface (none when it has no record yet)."""
    if not path.is_file():
        return {}
    record = json.loads(path.read_text(encoding="utf-8")).get(SURFACE_KEY) or {}
    return {
        name: Published(str(entry["shape"]), frozenset(str(o) for o in entry.get("origins") or ()))
        for name, entry in record.items()
    }


def claim_published_names(
    shapes: Mapping[str, frozenset[str]],
    published: Mapping[str, Published],
    usable: Callable[[str, str], bool],
) -> dict[str, str]:
    """``{shape: published name}`` for every shape that can keep a published name.

    ``shapes`` maps each shape's identity to its origins; ``usable(shape, name)`` says whether the
    shape may take ``name`` now (it is not reserved, and clashes with none of its fields). First
    every shape with the same content as when published keeps its name; then a changed shape
    takes the free published name it shares most origins with (ties broken by name, then by
    identity, so the result depends on no order). Split shapes: the unchanged copy keeps the name.
    """
    claimed: dict[str, str] = {}
    by_shape: dict[str, str] = {}
    for name in sorted(published):
        by_shape.setdefault(published[name].shape, name)
    for key in sorted(shapes):
        same = by_shape.get(key)
        if same is not None and usable(key, same):
            claimed[key] = same
    used = set(claimed.values())
    by_origin: dict[str, list[str]] = {}
    for name, entry in published.items():
        if name not in used:
            for origin in entry.origins:
                by_origin.setdefault(origin, []).append(name)
    pairs: dict[tuple[str, str], int] = {}
    for key, origins in shapes.items():
        if key in claimed:
            continue
        for origin in origins:
            for name in by_origin.get(origin, ()):
                pairs[(name, key)] = pairs.get((name, key), 0) + 1
    for (name, key), _overlap in sorted(pairs.items(), key=lambda item: (-item[1], item[0])):
        if key not in claimed and name not in used and usable(key, name):
            claimed[key] = name
            used.add(name)
    return claimed
