"""What a schema may be called: name candidates from its place, its operations' words and its kind.

``_naming`` hoists schemas and picks, for each shape, the first candidate no other shape holds;
this module only proposes. A ``Site`` is one place a schema occurs; the functions here turn sites,
operationIds (``createConnectionGrant`` -> ``Create``, ``Connection``, ``Grant``) and shapes (a page,
an empty object, a free map) into ordered candidate names.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Site",
    "branch_suffix",
    "common_names",
    "contextual_names",
    "entries_ref",
    "is_page",
    "owner_operation",
    "pascal",
    "plural",
    "resource_names",
    "shape_identity",
    "shape_kind",
    "shared_candidates",
    "shared_names",
    "singular",
    "singular_suffix",
    "snake_name",
    "stem",
    "title_names",
]

JSON = Any
_IGNORED_FOR_IDENTITY = frozenset({"description", "example", "examples", "title"})


def pascal(text: str) -> str:
    """``'connection grant response'`` → ``'ConnectionGrantResponse'``; ``'v3alpha_x'`` → ``'V3alphaX'``."""
    words = re.split(r"[^A-Za-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text))
    name = "".join(word[:1].upper() + word[1:] for word in words if word)
    return name if not name[:1].isdigit() else f"N{name}"


def singular(word: str) -> str:
    """Naive English singular, enough for Sigma's resource names (``Entries`` → ``Entry``)."""
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("s", "")):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + replacement
    return word


def plural(word: str) -> str:
    """Naive English plural: ``Workbook`` → ``Workbooks``, ``Entry`` → ``Entries``."""
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "x", "sh", "ch")) else "s")


def snake_name(name: str) -> str:
    """``ServiceAccount``/``serviceAccount`` → ``service_account``, as the generator spells names."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).replace("-", "_").lower()


def stem(name: str) -> str:
    """Drop the ``Request``/``Response`` suffix so children read ``CreateConnectionDetails``."""
    for suffix in ("Request", "Response"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


@dataclass
class Site:
    """One place where a schema occurs, with what is needed to name it if it gets hoisted."""

    order: int
    level: int
    versioned: bool
    titles: list[str]  # names from ``title``s, tried first
    parent: Site | None  # the site of the nearest hoisted ancestor
    suffix: str  # contextual name: ``stem(parent's name) + suffix``
    operation: str | None = None  # the operation this site is part of (None under a component)
    role: str = ""  # what a top-level site is to its operation: Request, Response or a parameter's name
    key: str | None = None  # identity of the shape registered here, once hoisted
    pointer: str = ""  # where it is: ``listTeams#/responses/200/properties/entries/items`` (see _published.py)

    def child(self, order: int, titles: list[str], suffix: str, segment: str, *, hoisted: bool) -> Site:
        """The site of a sub-schema: under this site if this one is hoisted, else beside it."""
        pointer = self.pointer + segment
        if hoisted:
            return Site(order, self.level + 1, self.versioned, titles, self, suffix, self.operation, pointer=pointer)
        return Site(
            order,
            self.level + 1,
            self.versioned,
            titles,
            self.parent,
            self.suffix + suffix,
            self.operation,
            self.role,
            pointer=pointer,
        )


# Verbs that begin (or, as in ``filesList``, follow) an operationId; what is left is the resource.
_VERBS = frozenset({
    "Accept", "Add", "Assign", "Batch", "Copy", "Create", "Delete", "Download", "Export", "Get", "List", "Lookup",
    "Materialize", "Move", "Patch", "Post", "Put", "Remove", "Save", "Send", "Set", "Share", "Swap", "Sync", "Test",
    "Update",
})  # fmt: skip
_VERSION = re.compile(r"^V\d\w*$")


def owner_operation(name: str, operation_names: dict[str, str]) -> str | None:
    """The operation ``name`` is named after: the longest operation name it starts with, word for word."""
    owners = [
        operation
        for prefix, operation in operation_names.items()
        if name.startswith(prefix) and not name[len(prefix) : len(prefix) + 1].islower()
    ]
    return max(owners, key=lambda operation: len(pascal(operation)), default=None)


def _operation_words(operation: str) -> tuple[str, list[str]]:
    """``v3alpha_listTenants`` → ``('V3alpha', ['List', 'Tenant'])``: version prefix and singular words."""
    words = re.findall(r"[A-Z][a-z0-9]*|[0-9]+", pascal(operation))
    version = words.pop(0) if len(words) > 1 and _VERSION.match(words[0]) else ""
    return version, [singular(word) for word in words]


def _role_bases(noun: str, verb: str, site: Site) -> list[str]:
    """Names for ``noun`` in the site's role: ``ConnectionGrantCreateRequest``, ``WorkbookResponse``."""
    if site.level > 0:
        return [noun + site.suffix]
    if site.role == "Request":
        return [verb + noun + "Request", noun + verb + "Request"]
    if site.role == "Response":
        return [verb + noun + "Response", noun + verb + "Response"] if verb else [noun, noun + "Response"]
    return [noun + site.role]


def common_names(operations: list[str], site: Site, *, page: bool) -> list[str]:
    """Names from the words all ``operations`` share: the resource, the shared verb, the site's role.

    ``createConnectionGrant`` and ``createConnectionPathGrant`` share ``ConnectionGrantCreateRequest``;
    the page of ``listWorkbooks`` and ``listWorkbooksForTag`` is a ``WorkbookPage``.
    """
    words = {operation: _operation_words(operation) for operation in operations}
    noun, verb = _shared_noun_and_verb(words, site.operation if site.operation in words else operations[0])
    if page:
        return [plural(noun) + "Page"] if noun else []
    bases = _role_bases(noun, verb, site) if noun else []
    if site.level == 0 and site.role == "Response":  # what a get operation among them returns: the resource
        bases += [_noun(ws) for _, ws in words.values() if "Get" in ws]
    versions = {version for version, _ in words.values()}
    prefix = versions.pop() if len(versions) == 1 else ""
    return [name for base in filter(None, bases) for name in (base, prefix + base)]


def _noun(words: list[str]) -> str:
    return "".join(w for w in words if w not in _VERBS)


def _shared_noun_and_verb(words: dict[str, tuple[str, list[str]]], first: str) -> tuple[str, str]:
    """The words every operation has, in ``first``'s order, as a noun and a verb (never Get or List)."""
    common = [w for w in dict.fromkeys(words[first][1]) if all(w in other for _, other in words.values())]
    return _noun(common), "".join(w for w in common if w in _VERBS and w not in ("Get", "List"))


def shared_candidates(
    site: Site,
    all_sites: list[Site],
    operations: list[str],
    parent_is_operations: bool,
    schema: dict[str, JSON],
    names: dict[str, str],
) -> list[str]:
    """Names for a shape several operations share: its title, its kind, what the operations have in common."""
    candidates = [
        *(title for other in all_sites for title in other.titles),
        *_kind_names(schema, site),
        *shared_names(all_sites),
        *(
            name
            for other in all_sites
            for name in resource_names(names.get(other.parent.key or "", "") if other.parent else "", other.suffix)
        ),
    ]
    parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
    if parent_name and not parent_is_operations:  # named under a parent that no operation owns
        candidates += contextual_names(stem(parent_name), site.suffix)
    if site.level > 0 and len(re.findall(r"[A-Z][a-z0-9]*", site.suffix)) >= 2:
        candidates.append(site.suffix)  # ``GranteeOption2``, beside the ``GranteeOption1`` of the same union
    return [*candidates, *common_names(operations, site, page=is_page(schema))]


def shape_kind(schema: dict[str, JSON]) -> str:
    return "Enum" if "enum" in schema else "Object"


def _kind_names(schema: dict[str, JSON], site: Site) -> list[str]:
    """Names from the shape alone: ``{}`` is an ``EmptyResponse``, a map of anything a ``JsonObject``."""
    if schema.get("type") != "object" or not set(schema) <= {
        "type",
        "properties",
        "additionalProperties",
        "description",
    }:
        return []
    if schema.get("properties"):
        return []
    if isinstance(schema.get("additionalProperties"), dict) or schema.get("additionalProperties") is True:
        return ["JsonObject"]
    if "additionalProperties" not in schema:
        return [f"Empty{site.role}" if site.role in ("Request", "Response") else "EmptyObject"]
    return []


def is_page(schema: dict[str, JSON]) -> bool:
    """One page of a list: ``entries`` and a cursor to the next page."""
    properties = schema.get("properties") or {}
    return "entries" in properties and not {"nextPage", "nextPageToken"}.isdisjoint(properties)


def entries_ref(schema: dict[str, JSON]) -> str:
    """The identity of the (first) shape a page's ``entries`` hold, or ``""``."""
    items = ((schema.get("properties") or {}).get("entries") or {}).get("items") or {}
    for branch in [items, *(items.get("anyOf") or ()), *(items.get("oneOf") or ())]:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and ref.startswith("pending:"):
            return ref.split(":", 1)[1]
    return ""


def shape_identity(schema: dict[str, JSON]) -> str:
    """A hash of the shape, ignoring documentation-only keywords, so repeated shapes merge."""

    def strip(node: JSON, in_properties: bool = False) -> JSON:
        if isinstance(node, dict):
            return {
                k: strip(v, k == "properties" and not in_properties)
                for k, v in node.items()
                if in_properties or k not in _IGNORED_FOR_IDENTITY
            }
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    canonical = json.dumps(strip(schema), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


_MAX_CONTEXTUAL = 40


def contextual_names(parent_stem: str, suffix: str) -> list[str]:
    """``{parent}{suffix}``, shortened from the left to at most 40 characters when the nesting is deep.

    Deep schedule and connection shapes would otherwise repeat every ancestor's name (93 characters).
    The untrimmed form stays last, for the rare case every shorter one is taken.
    """
    full = parent_stem + suffix
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", parent_stem)
    shorter = ["".join(words[start:]) + suffix for start in range(1, len(words) + 1)]
    return [name for name in [full, *shorter] if len(name) <= _MAX_CONTEXTUAL] + [full]


def shared_names(sites: list[Site]) -> list[str]:
    """A shape used under several parents by the same property (``authType``) is named for the property."""
    suffixes = {site.suffix for site in sites}
    parents = {site.parent.key if site.parent else None for site in sites}
    if len(parents) > 1 and len(suffixes) == 1:
        (suffix,) = suffixes
        if len(re.findall(r"[A-Z][a-z0-9]*", suffix)) >= 2:
            return [suffix]
    return []


def resource_names(parent_name: str, suffix: str) -> list[str]:
    """The entries of ``ListConnectionsResponse`` are ``Connection``s."""
    match = re.match(r"^(?:V\d\w*?)?List([A-Z]\w*)Response$", parent_name) or re.match(r"^([A-Z]\w*)Page$", parent_name)
    if suffix == "Entry" and match:
        return [singular(match.group(1))]
    return []


def title_names(schema: JSON) -> list[str]:
    title = schema.get("title") if isinstance(schema, dict) else None
    name = pascal(title) if isinstance(title, str) else ""
    return [name] if name else []


def singular_suffix(suffix: str) -> str:
    """``WorkbookTags`` → ``WorkbookTag``; an already-singular suffix gets ``Item``."""
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", suffix)
    if not words:
        return suffix + "Item"
    last = singular(words[-1])
    return suffix[: -len(words[-1])] + last if last != words[-1] else suffix + "Item"


def branch_suffix(branch: JSON, index: int) -> str:
    tag = _discriminator_value(branch)
    return pascal(tag) if tag else f"Option{index + 1}"


def _discriminator_value(schema: JSON) -> str | None:
    """The ``const`` of a branch's ``type`` property (Sigma's discriminator), if it has one."""
    if not isinstance(schema, dict):
        return None
    type_property = (schema.get("properties") or {}).get("type")
    if isinstance(type_property, dict) and isinstance(type_property.get("const"), str):
        return str(type_property["const"])
    return None
