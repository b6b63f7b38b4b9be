"""Model names tell the truth: no operation's type is named after another operation, and names stay short.

Read from ``openapi/api-surface.json``, which ``regenerate.py --check`` keeps equal to the generated SDK.
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

from _codegen._name_candidates import pascal
from _codegen._surface import change_report, renamed_models

SURFACE = Path(__file__).resolve().parents[2] / "openapi" / "api-surface.json"
_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*")


def _surface() -> dict[str, Any]:
    return json.loads(SURFACE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _named_after(name: str, operations: dict[str, str]) -> str | None:
    """The operation a model name starts with, word for word (the longest such), if any."""
    owners = [op for prefix, op in operations.items() if re.match(re.escape(prefix) + r"(?![a-z])", name)]
    return max(owners, key=len, default=None)


def _top_level_types(operation: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The models of an operation's parameters, body and 2xx responses, and the models their fields name."""
    slots = [*operation["params"].values(), *operation["body"].values(), *operation["responses"].values()]
    direct = {name for slot in slots for name in _NAME.findall(slot) if name in schemas}
    referenced = {
        name
        for model in direct
        for slot in [*schemas[model].get("fields", {}).values(), schemas[model].get("type", "")]
        for name in _NAME.findall(slot)
        if name in schemas
    }
    return direct | referenced


def misnamed_types(surface: dict[str, Any]) -> dict[str, list[str]]:
    """``{operationId: [its types named after another operation]}``."""
    operations = {pascal(op): op for op in surface["operations"]}
    found: dict[str, list[str]] = {}
    for op, operation in surface["operations"].items():
        for name in sorted(_top_level_types(operation, surface["schemas"])):
            owner = _named_after(name, operations)
            if owner is not None and owner != op:
                found.setdefault(op, []).append(f"{name} (after {owner})")
    return found


def test_no_operation_has_a_type_named_after_another_operation() -> None:
    """`delete_team` returns no `DeleteConnectionResponse`: 0 operations with another operation's type."""
    assert misnamed_types(_surface()) == {}


def test_the_check_finds_a_type_named_after_another_operation() -> None:
    """The pin can fail: a shared page named after one of its operations is reported for the other."""
    surface = _surface()
    surface["schemas"]["ListWorkbooksForTagResponse"] = surface["schemas"]["WorkbooksPage"]
    surface["operations"]["listWorkbooks"]["responses"]["200"] = "ListWorkbooksForTagResponse"
    assert misnamed_types(surface) == {"listWorkbooks": ["ListWorkbooksForTagResponse (after listWorkbooksForTag)"]}


def test_class_names_stay_short() -> None:
    """Model class names: median at most 30 characters, none over 60."""
    lengths = [len(name) for name in _surface()["schemas"]]
    assert statistics.median(lengths) <= 30
    assert max(lengths) <= 60


def test_change_report_says_a_rename_is_a_rename() -> None:
    """A model that only changed its name (and its fields' renamed types) is one `renamed` line, old -> new."""
    old = {
        "version": "1",
        "servers": [],
        "operations": {"postThing": {"method": "POST", "path": "/t", "params": {}, "body": {},
                                     "responses": {"200": "PostThingResponse"}}},
        "schemas": {"PostThingResponse": {"fields": {"schedule": "PostThingSchedule"}},
                    "PostThingSchedule": {"fields": {"cron": "string"}}},
    }  # fmt: skip
    new = json.loads(json.dumps(old).replace("PostThingResponse", "Thing").replace("PostThingSchedule", "Cron"))
    assert renamed_models(old["schemas"], new["schemas"]) == {"PostThingResponse": "Thing", "PostThingSchedule": "Cron"}
    assert change_report(old, new, "0.1.0").splitlines()[1:] == [
        "  ~ model PostThingResponse renamed -> Thing  [breaking]",
        "  ~ model PostThingSchedule renamed -> Cron  [breaking]",
        "Verdict: breaking; next version 0.2.0",
    ]
