"""``api.md``: every operation of the generated SDK, by tag, with what to import and call.

Written by ``scripts/regenerate.py`` next to the tree (and compared by ``--check``) from two sources:
the guides of ``_docs.py`` (summary, pagination, job helper, which twin to prefer) and the generated
modules themselves (read with ``ast``: the import path, the functions, the body and return types),
so the index cannot name a module or a model the package does not have.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._docs import OperationGuide, operation_guides

__all__ = ["ApiIndexError", "api_index", "generated_operations"]

_FUNCTIONS = ("sync", "asyncio", "sync_detailed", "asyncio_detailed", "iterate", "aiterate")

# "What I want to do" → where it is done: the tasks newcomers look for under another name.
COMMON_TASKS: tuple[tuple[str, str], ...] = (
    ("Export a workbook, page or element to a file", "`sigma_sdk.jobs.export_workbook` (does it all)"),
    ("Download an export started elsewhere", "`sigma_sdk.jobs.download_export`"),
    ("Wait for a materialization", "`sigma_sdk.jobs.wait_for_materialization`"),
    ("Email or schedule a workbook export", "`sigma_sdk.api.workbooks.send_workbook`"),
    ("Add or remove team members", "`sigma_sdk.api.teams.update_team_members`"),
    ("Every entry of a list, across pages", "`<module>.iterate(client=client)`"),
    ("An endpoint the spec lacks", "`client.request(method, path)` / `client.stream(...)`"),
)


class ApiIndexError(Exception):
    """The generated tree and the spec disagree about an operation (a generator or naming change)."""


@dataclass(frozen=True)
class GeneratedOperation:
    """One endpoint module as generated: where it is and what its functions take and return."""

    module: str
    functions: tuple[str, ...]
    body: str | None
    returns: str


def generated_operations(package: Path) -> dict[str, GeneratedOperation]:
    """operationId → its generated module, read from ``package/api/<tag>/<operation>.py``."""
    found: dict[str, GeneratedOperation] = {}
    for path in sorted((package / "api").glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        operation = next(
            (
                [arg.value for arg in node.value.args if isinstance(arg, ast.Constant)]
                for node in tree.body
                if isinstance(node, ast.Assign)
                and [getattr(target, "id", None) for target in node.targets] == ["_OPERATION"]
                and isinstance(node.value, ast.Call)
            ),
            None,
        )
        if not operation:
            raise ApiIndexError(f"{path} has no _OPERATION = Operation(operationId, method, path)")
        functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}
        sync = functions["sync"]
        body = next((arg for arg in sync.args.kwonlyargs if arg.arg == "body"), None)
        found[str(operation[0])] = GeneratedOperation(
            module=".".join(path.relative_to(package.parent).with_suffix("").parts),
            functions=tuple(name for name in _FUNCTIONS if name in functions),
            body=ast.unparse(body.annotation) if body is not None and body.annotation is not None else None,
            returns=ast.unparse(sync.returns) if sync.returns is not None else "None",
        )
    return found


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _notes(guide: OperationGuide, generated: GeneratedOperation) -> str:
    notes = []
    if "iterate" in generated.functions:
        notes.append("pages: `iterate()`")
    if guide.job_helper:
        notes.append(f"job helper: `{guide.job_helper}`")
    if guide.prefer:
        notes.append(f"prefer `{guide.prefer.rsplit('.', 2)[-2]}.{guide.prefer.rsplit('.', 1)[-1]}`")
    if guide.deprecated:
        notes.append("deprecated")
    return "; ".join(notes)


def api_index(spec: dict[str, Any], package: Path) -> str:
    """The text of ``api.md`` for a normalized spec and the package generated from it."""
    guides = operation_guides(spec)
    generated = generated_operations(package)
    if set(guides) != set(generated):
        missing = sorted(set(guides) - set(generated))
        extra = sorted(set(generated) - set(guides))
        raise ApiIndexError(f"operations without a module: {missing}; modules without an operation: {extra}")
    for operation_id, guide in guides.items():
        if guide.module != generated[operation_id].module:
            raise ApiIndexError(
                f"{operation_id}: docstrings name {guide.module}, "
                f"but the generator wrote {generated[operation_id].module}"
            )
    by_tag: dict[str, list[str]] = {}
    for operation_id, guide in guides.items():
        by_tag.setdefault(guide.module.split(".")[2], []).append(operation_id)
    version = str(spec.get("info", {}).get("version", "unknown"))
    lines = [
        "# Operations index",
        "",
        f"<!-- Generated by scripts/regenerate.py from Sigma's OpenAPI spec {version}; do not edit by hand. -->",
        "",
        f"Every one of the {len(guides)} operations of Sigma's REST API in this SDK, by tag. Each row is one",
        "module: `from sigma_sdk.api.<tag> import <module>`, then `<module>.sync(client=client, ...)`.",
        "Every module has `sync`, `asyncio`, `sync_detailed` and `asyncio_detailed`; list operations also",
        "have `iterate` and `aiterate`, which walk every page. `sync()` returns the response model and raises",
        "`sigma_sdk.errors` for anything but a 2xx; `sync_detailed()` returns a `Response` and never raises",
        "for a status. Request bodies are `body=<model>`; models are in `sigma_sdk.models`.",
        "",
        "Where a `v2`, `v2_1` and `v3alpha` twin exist, the row says which to prefer: the `v2_1` twin",
        "(it pages by default) over `v2`, and the stable operation over a `v3alpha` private beta.",
        "",
        "## Common tasks",
        "",
        "| to | use |",
        "| --- | --- |",
        *(f"| {task} | {where} |" for task, where in COMMON_TASKS),
        "",
        "## Tags",
        "",
        ", ".join(f"[{tag}](#{tag})" for tag in sorted(by_tag)),
    ]
    for tag in sorted(by_tag):
        lines += [
            "",
            f"## {tag}",
            "",
            "| operation | summary | module | body → returns | notes |",
            "| --- | --- | --- | --- | --- |",
        ]
        ordered = sorted(by_tag[tag], key=lambda op: (guides[op].path, guides[op].method, op))
        for operation_id in ordered:
            guide, module = guides[operation_id], generated[operation_id]
            body = f"`{module.body}`" if module.body else "—"
            lines.append(
                f"| `{guide.method} {_cell(guide.path)}` | {_cell(guide.summary)} | `{module.module}` "
                f"| {_cell(body)} → `{_cell(module.returns)}` | {_cell(_notes(guide, module))} |"
            )
    return "\n".join(lines) + "\n"
