"""The documentation pass: docstrings that point at the SDK instead of at Sigma's web site.

Sigma's spec writes its prose for help.sigmacomputing.com: links are site-relative
(``[/v2/teams](listteams)``, ``[Manage workspaces](doc:manage-workspaces)``), lines are indented
unevenly, and the text tells you to pass ``nextPage`` back by hand. Rendered into docstrings that is
a link to nowhere in every IDE hover. This pass, run on the normalized spec just before generation:

- rewrites every link in every ``description`` of the spec: a link to an operation's reference page
  becomes the SDK module that calls it (``sigma_sdk.api.teams.list_teams``), any other relative link
  becomes an absolute URL on Sigma's documentation site;
- for each operation, reflows the description to read well in ``help()`` and hovers, and adds what
  the SDK does on top of Sigma's prose: ``iterate()`` for lists, the ``sigma_sdk.jobs`` helper that
  wraps an operation, which twin of a ``v2``/``v2_1``/``v3alpha`` family to prefer, and where the
  SDK's behaviour differs from the text (the download's 204 is ``None``, not an error).

The operation texts reach the endpoint template through ``operation_docs.jinja`` (written by
``scripts/regenerate.py`` like the pagination plans); `operation_guide` is also what ``api.md`` lists.
"""

from __future__ import annotations

import copy
import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from openapi_python_client.strings import snake_case

from ._pagination import EXTENSION as PAGINATION

__all__ = [
    "DOCS_TEMPLATE",
    "OperationGuide",
    "document_operations",
    "module_path",
    "operation_docs_template",
    "operation_guides",
    "reflow",
    "rewrite_links",
]

JSON = Any
DOCS_TEMPLATE = "operation_docs.jinja"
REFERENCE = "https://help.sigmacomputing.com/reference/"
DOCS = "https://help.sigmacomputing.com/docs/"
WIDTH = 88  # docstring text width: indented by 4 in a function, it stays inside ruff's 120
_METHODS = ("get", "put", "post", "delete", "patch")

# Operations a hand-written helper in sigma_sdk.jobs runs for you, start to finish (see its docstring).
JOB_HELPERS: dict[str, tuple[str, str]] = {
    "exportWorkbook": (
        "sigma_sdk.jobs.export_workbook",
        "starts the export, polls until the file is ready and streams it to a file",
    ),
    "downloadQuery": (
        "sigma_sdk.jobs.download_export",
        "polls while the export runs and streams the file to disk",
    ),
    "materializeWorkbookElement": (
        "sigma_sdk.jobs.wait_for_materialization",
        "waits for the materialization this starts",
    ),
    "getWorkbookMaterialization": (
        "sigma_sdk.jobs.wait_for_materialization",
        "polls this until the materialization is ready or failed",
    ),
    "materializeDataModelElement": (
        "sigma_sdk.jobs.wait_for_data_model_materialization",
        "waits for the materialization this starts",
    ),
    "getDataModelMaterialization": (
        "sigma_sdk.jobs.wait_for_data_model_materialization",
        "polls this until the materialization is ready or failed",
    ),
}

# Where the SDK's behaviour differs from what Sigma's text says.
SDK_BEHAVIOUR: dict[str, str] = {
    "downloadQuery": (
        "In the SDK, `sync()` returns `None` while the export is still running (Sigma answers 204), "
        "rather than raising; a 200 returns a `File` holding the whole body in memory."
    ),
}

# Sigma's instruction to page by hand, which iterate() replaces.
_PAGE_BY_HAND = re.compile(r"To request additional pages, include the `nextPage`[^\n]*(?:\n[ \t]*[^\s][^\n]*)*")
_LINK = re.compile(r"\[(?P<text>[^\]\n]*)\]\((?P<target>[^)\s]*)\)")
_GLUE = "\x00"
_METHOD_PATH = re.compile(r"\((?:GET|POST|PUT|PATCH|DELETE) /[^\s)]*\)")
_FAMILY_PREFIX = re.compile(r"^(v2_1|v3alpha)_")


def module_path(tag: str, operation_id: str) -> str:
    """The import path of an operation's module, as openapi-python-client names it (checked after generation)."""
    return f"sigma_sdk.api.{snake_case(tag)}.{snake_case(operation_id)}"


def _operations(spec: dict[str, JSON]) -> Iterator[tuple[str, str, dict[str, JSON]]]:
    for path, item in sorted((spec.get("paths") or {}).items()):
        for method in _METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and "operationId" in operation:
                yield method.upper(), path, operation


def _modules(spec: dict[str, JSON]) -> dict[str, tuple[str, str, str]]:
    """operationId → (module path, METHOD, path) for every operation."""
    return {
        str(op["operationId"]): (module_path(str((op.get("tags") or ["default"])[0]), str(op["operationId"])), m, p)
        for m, p, op in _operations(spec)
    }


def rewrite_links(text: str, modules: dict[str, tuple[str, str, str]]) -> str:
    """Sigma's links as the SDK names they mean, or as absolute URLs: no site-relative link survives.

    ``[/v2/teams](listteams)`` → ``sigma_sdk.api.teams.list_teams (GET /v2/teams)``;
    ``[Manage workspaces](doc:manage-workspaces)`` → ``[Manage workspaces](https://help…/docs/manage-workspaces)``.
    """
    by_slug = {operation_id.lower(): operation_id for operation_id in modules}

    def replace(match: re.Match[str]) -> str:
        text, target = match["text"].strip(), match["target"]
        slug = target.removeprefix(REFERENCE).removeprefix("/reference/").split("#", 1)[0].lower()
        if "://" not in target or target.startswith(REFERENCE):
            operation_id = by_slug.get(slug)
            if operation_id is not None:
                module, method, _ = modules[operation_id]
                if text.startswith("/"):
                    return f"`{module}` ({method} {text})"
                return f"{text} (`{module}`)"
        if "://" in target or target.startswith("mailto:"):
            return match[0]
        if target.startswith("doc:"):
            return f"[{text}]({DOCS}{target.removeprefix('doc:')})"
        return f"[{text}]({REFERENCE}{target.lstrip('/').removeprefix('reference/')})"

    return _LINK.sub(replace, text)


def _blocks(text: str) -> Iterator[tuple[str, str]]:
    """Markdown as (kind, text) blocks: ``para``, ``item``, ``heading``, ``code``."""
    lines = text.replace("\r\n", "\n").split("\n")
    kind, buffer = "", list[str]()
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if stripped.startswith("```"):
            if buffer:
                yield kind, " ".join(buffer)
                kind, buffer = "", []
            fence_indent = len(line) - len(line.lstrip())
            code = [stripped]
            index += 1
            while index < len(lines):
                code.append(lines[index][fence_indent:] if lines[index][:fence_indent].isspace() else lines[index])
                if lines[index].strip().startswith("```"):
                    code[-1] = lines[index].strip()
                    break
                index += 1
            yield "code", textwrap.dedent("\n".join(code[1:-1])).strip("\n")
            index += 1
            continue
        heading = re.match(r"#+\s*(.*)", stripped)
        item = re.match(r"([-*]|\d+\.)\s+(.*)", stripped)
        if not stripped or heading or item:
            if buffer:
                yield kind, " ".join(buffer)
                kind, buffer = "", []
            if heading:
                yield "heading", heading[1].strip()
            elif item:
                kind, buffer = "item", [("-" if item[1] in "-*" else item[1]) + " " + item[2]]
        else:
            kind = kind or "para"
            buffer.append(stripped)
        index += 1
    if buffer:
        yield kind, " ".join(buffer)


def reflow(text: str, width: int = WIDTH) -> str:
    """Markdown prose as plain, evenly indented paragraphs of at most ``width`` columns.

    Headings become a line ending in ``:``, list items keep a hanging indent, code blocks are kept as
    they are (dedented and indented by four), and ``**bold**`` loses its stars.
    """
    out: list[str] = []
    previous = ""
    for kind, raw in _blocks(text):
        # A link's text, or "(GET /v2/teams)", is never split across lines: it wraps as one word.
        block = raw if kind == "code" else _LINK.sub(lambda m: m[0].replace(" ", _GLUE), raw)
        block = block if kind == "code" else _METHOD_PATH.sub(lambda m: m[0].replace(" ", _GLUE), block)
        block = re.sub(r"\*\*(.+?)\*\*", r"\1", block) if kind != "code" else block
        block = re.sub(r"  +", " ", block) if kind != "code" else block
        if out and previous != "heading" and (kind != "item" or previous != "item"):
            out.append("")
        if kind == "heading":
            out.append(block if block.endswith((":", ".", "?")) else block + ":")
        elif kind == "code":
            out.extend(("    " + line).rstrip() for line in block.split("\n"))
        elif kind == "item":
            marker = block.split(" ", 1)[0] + " "
            out.extend(
                textwrap.wrap(
                    block,
                    width,
                    subsequent_indent=" " * len(marker),
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
        else:
            out.extend(textwrap.wrap(block, width, break_long_words=False, break_on_hyphens=False))
        previous = "heading" if kind == "heading" else kind
    return "\n".join(out).strip("\n").replace(_GLUE, " ")


@dataclass
class OperationGuide:
    """What a user needs to find and call one operation: the facts of ``api.md`` and the module docstring."""

    operation_id: str
    method: str
    path: str
    summary: str
    module: str
    paginated: bool
    job_helper: str | None = None
    job_helper_does: str | None = None
    prefer: str | None = None  # module path of the family member to use instead, with why
    prefer_why: str | None = None
    deprecated: bool = False
    notes: list[str] = field(default_factory=list)

    def sdk_paragraphs(self) -> list[str]:
        """What the SDK adds to Sigma's text, one paragraph each, first in the docstring."""
        paragraphs = []
        if self.paginated:
            paragraphs.append(
                "`iterate(client=client, ...)` yields every entry across all pages (`aiterate()` for "
                "asyncio); you never pass the next-page token back by hand. `sync()` returns one page."
            )
        if self.job_helper:
            paragraphs.append(f"`{self.job_helper}` {self.job_helper_does}: usually what you want.")
        if self.prefer:
            paragraphs.append(f"Prefer `{self.prefer}`: {self.prefer_why}.")
        paragraphs.extend(self.notes)
        return paragraphs


def _families(modules: dict[str, tuple[str, str, str]], deprecated: set[str]) -> dict[str, tuple[str, str]]:
    """operationId → (operationId to prefer, why), for ``v2``/``v2_1``/``v3alpha`` twins and deprecated ones."""
    by_base: dict[str, list[str]] = {}
    for operation_id in modules:
        base = _FAMILY_PREFIX.sub("", operation_id).lower()
        by_base.setdefault(base, []).append(operation_id)
    prefer: dict[str, tuple[str, str]] = {}
    for members in by_base.values():
        if len(members) < 2:
            continue
        stable = [m for m in members if not m.startswith("v3alpha_")]
        newer = [m for m in stable if m.startswith("v2_1_")]
        if newer:
            for member in members:
                if member != newer[0]:
                    prefer[member] = (newer[0], "the v2.1 twin pages by default, where v2 is moving to pages")
        elif stable:
            for member in members:
                if member.startswith("v3alpha_"):
                    prefer[member] = (stable[0], "this v3alpha twin is a private beta that may change")
    for operation_id in deprecated:
        replacement = operation_id.removesuffix("Deprecated")
        if replacement != operation_id and replacement in modules:
            prefer[operation_id] = (replacement, "this operation is deprecated")
    return prefer


def operation_guides(spec: dict[str, JSON]) -> dict[str, OperationGuide]:
    """Every operation's guide, keyed by operationId (from a normalized spec, before or after the pass)."""
    modules = _modules(spec)
    deprecated = {str(op["operationId"]) for _, _, op in _operations(spec) if op.get("deprecated")}
    families = _families(modules, deprecated)
    guides: dict[str, OperationGuide] = {}
    for method, path, operation in _operations(spec):
        operation_id = str(operation["operationId"])
        helper = JOB_HELPERS.get(operation_id)
        preferred = families.get(operation_id)
        guide = OperationGuide(
            operation_id=operation_id,
            method=method,
            path=path,
            summary=" ".join(str(operation.get("summary") or operation_id).split()),
            module=modules[operation_id][0],
            paginated=PAGINATION in operation,
            job_helper=helper[0] if helper else None,
            job_helper_does=helper[1] if helper else None,
            prefer=modules[preferred[0]][0] if preferred else None,
            prefer_why=preferred[1] if preferred else None,
            deprecated=bool(operation.get("deprecated")),
        )
        if operation_id in SDK_BEHAVIOUR:
            guide.notes.append(SDK_BEHAVIOUR[operation_id])
        guides[operation_id] = guide
    return guides


def _rewrite_descriptions(node: JSON, modules: dict[str, tuple[str, str, str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                node[key] = rewrite_links(value, modules)
            else:
                _rewrite_descriptions(value, modules)
    elif isinstance(node, list):
        for value in node:
            _rewrite_descriptions(value, modules)


def _function_doc(guide: OperationGuide, description: str) -> str:
    """The body of the endpoint functions' docstring after the summary line: SDK notes, then Sigma's text."""
    sigma_text = _PAGE_BY_HAND.sub(
        "In the SDK, `iterate()` does this for you." if guide.paginated else r"\g<0>", description
    )
    paragraphs = [textwrap.fill(p, WIDTH, break_long_words=False) for p in guide.sdk_paragraphs()]
    body = reflow(sigma_text)
    return "\n\n".join([*paragraphs, body] if body else paragraphs)


def _module_doc(guide: OperationGuide) -> str:
    """An endpoint module's docstring: what it calls, which functions it has, and the SDK notes."""
    functions = "`sync()`, `asyncio()`, `sync_detailed()`, `asyncio_detailed()`"
    if guide.paginated:
        functions += ", and `iterate()`/`aiterate()` over every page"
    lines = [
        f"{guide.summary.rstrip('.')}: {guide.method} {guide.path} (operation `{guide.operation_id}`).",
        "",
        textwrap.fill(f"Functions: {functions}.", WIDTH),
    ]
    for paragraph in guide.sdk_paragraphs():
        lines += ["", textwrap.fill(paragraph, WIDTH, break_long_words=False)]
    lines += ["", "Every operation, by tag: api.md at the top of the repository."]
    return "\n".join(lines)


def document_operations(spec: dict[str, JSON]) -> tuple[dict[str, JSON], dict[str, dict[str, str]]]:
    """The spec with every description's links rewritten, and each operation's docstrings.

    Returns ``(spec, docs)`` where ``docs[operationId]`` holds ``module`` (the module docstring) and
    ``function`` (the endpoint functions' docstring after the summary line).
    """
    result = copy.deepcopy(spec)
    modules = _modules(result)
    _rewrite_descriptions(result, modules)
    guides = operation_guides(result)
    docs = {}
    for _, _, operation in _operations(result):
        guide = guides[str(operation["operationId"])]
        docs[guide.operation_id] = {
            "module": _module_doc(guide),
            "function": _function_doc(guide, str(operation.get("description") or "")),
        }
    return result, docs


def operation_docs_template(docs: dict[str, dict[str, str]]) -> str:
    """A Jinja module of every operation's docstrings: ``{% from "operation_docs.jinja" import operation_docs %}``."""
    # JSON is a Jinja literal as long as it holds no null; these are strings only.
    return (
        "{#- Written by scripts/regenerate.py from scripts/_codegen/_docs.py. -#}\n"
        f"{{% set operation_docs = {json.dumps(docs, sort_keys=True, ensure_ascii=False)} %}}\n"
    )
