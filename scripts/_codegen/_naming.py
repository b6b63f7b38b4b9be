"""Give every inline object and enum schema a stable, readable name and hoist it to ``components``.

Sigma's spec defines almost everything inline (one component schema for 172 operations). Left to
itself the generator names each inline schema after the whole path that leads to it (class names up
to 125 characters) and makes one class per occurrence (172 copies of the error schema). This pass
hoists every object schema and every enum to ``components/schemas``, merging shapes that are
identical apart from documentation, and names each after, in order of preference: an explicit rule
in ``openapi/normalization.toml``, the schema's ``title``, or its place (``{Operation}Request``,
``{Operation}Response``, ``{Parent}{Property}``). Two different shapes that want the same name are
told apart by their parent's name, then by a number, in canonical order (``canonical_order`` sorts
the paths; unversioned operations first), so no name depends on the order of the spec. A name
already published keeps its schema (``_published.py``), and every name a shape wanted but found
taken is listed by ``naming_collisions``.

Names come from meaning, not from first use: a shape several operations share is named for what
they share (the resource and verb their operationIds have in common, ``WorkbooksPage``,
``TeamVisibility``) or for its kind (``EmptyResponse`` for ``{}``, ``JsonObject`` for a free map),
never after one of them; no shape takes the name of an operation it is not part of.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._published import EXTENSION, Published, claim_published_names
from ._rules import Rules

__all__ = ["COLLISIONS", "attribute_collisions", "hoist_and_name_schemas", "naming_collisions", "pascal"]

JSON = Any
_IGNORED_FOR_IDENTITY = frozenset({"description", "example", "examples", "title"})
_SCHEMA_PREFIX = "#/components/schemas/"


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


def _snake(name: str) -> str:
    """``ServiceAccount``/``serviceAccount`` → ``service_account``, as the generator spells names."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).replace("-", "_").lower()


def _stem(name: str) -> str:
    """Drop the ``Request``/``Response`` suffix so children read ``CreateConnectionDetails``."""
    for suffix in ("Request", "Response"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _is_hoistable(schema: JSON) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    if schema.get("type") == "object" or ("properties" in schema and "type" not in schema):
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and len(enum) > 1 and schema.get("type") in ("string", "integer", "number")


@dataclass
class _Site:
    """One place where a schema occurs, with what is needed to name it if it gets hoisted."""

    order: int
    level: int
    versioned: bool
    titles: list[str]  # names from ``title``s, tried first
    parent: _Site | None  # the site of the nearest hoisted ancestor
    suffix: str  # contextual name: ``stem(parent's name) + suffix``
    operation: str | None = None  # the operation this site is part of (None under a component)
    role: str = ""  # what a top-level site is to its operation: Request, Response or a parameter's name
    key: str | None = None  # identity of the shape registered here, once hoisted
    pointer: str = ""  # where it is: ``listTeams#/responses/200/properties/entries/items`` (see _published.py)

    def child(self, order: int, titles: list[str], suffix: str, segment: str, *, hoisted: bool) -> _Site:
        """The site of a sub-schema: under this site if this one is hoisted, else beside it."""
        pointer = self.pointer + segment
        if hoisted:
            return _Site(order, self.level + 1, self.versioned, titles, self, suffix, self.operation, pointer=pointer)
        return _Site(
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


@dataclass
class _TopSite:
    """A schema slot of an operation: its parameter, request body or 2xx response."""

    operation: str
    role: str  # Request, Response, or the parameter's name
    versioned: bool
    names: list[str]  # preferred names, the last one the fallback
    pointer: str  # ``operationId#/requestBody``, ``…#/responses/200``, ``…#/parameters/name``


@dataclass
class _Shape:
    schema: dict[str, JSON]  # as found at its first site (documentation differs between sites)
    sites: list[_Site] = field(default_factory=list)
    variants: dict[str, dict[str, JSON]] = field(default_factory=dict)  # site pointer -> schema found there


class _Namer:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.shapes: dict[str, _Shape] = {}
        self.order = 0
        self.collisions: list[dict[str, str]] = []  # names wanted by a shape but already taken
        self.holders: dict[str, str] = {}  # name -> the origin of the shape that took it this run

    def site(
        self, versioned: bool, names: list[str], pointer: str, operation: str | None = None, role: str = ""
    ) -> _Site:
        self.order += 1
        return _Site(self.order, 0, versioned, names, None, "", operation, role, pointer=pointer)

    def _child(self, site: _Site, schema: JSON, suffix: str, segment: str, *, hoisted: bool) -> _Site:
        self.order += 1
        return site.child(self.order, _titles(schema), suffix, segment, hoisted=hoisted)

    def hoist(self, schema: JSON, site: _Site) -> JSON:
        """Return ``schema`` with every hoistable sub-schema (and itself) replaced by a placeholder ref.

        Post-order, so a shape's identity includes its already-hoisted children.
        """
        if not isinstance(schema, dict) or "$ref" in schema:
            return schema
        if isinstance(schema.get("type"), list) and set(schema["type"]) == {"object", "null"}:
            # Hoist the object, keep the null beside it: still ``T | null`` on the wire.
            return {"oneOf": [self.hoist({**schema, "type": "object"}, site), {"type": "null"}]}
        hoisted = _is_hoistable(schema)
        result = dict(schema)
        if isinstance(schema.get("properties"), dict):
            result["properties"] = {
                name: self.hoist(prop, self._child(site, prop, pascal(name), f"/properties/{name}", hoisted=hoisted))
                for name, prop in schema["properties"].items()
            }
        if isinstance(schema.get("items"), dict):
            items_suffix = "Item" if hoisted or not site.suffix else ""
            items_site = self._child(site, schema["items"], items_suffix, "/items", hoisted=hoisted)
            if not hoisted and site.suffix:
                items_site.suffix = _singular_suffix(site.suffix)
            result["items"] = self.hoist(schema["items"], items_site)
        if isinstance(schema.get("additionalProperties"), dict):
            value = schema["additionalProperties"]
            value_site = self._child(site, value, "Value", "/additionalProperties", hoisted=hoisted)
            result["additionalProperties"] = self.hoist(value, value_site)
        union_title = _titles(schema) if not hoisted else []
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list):
                branches = []
                for index, branch in enumerate(schema[keyword]):
                    suffix = _branch_suffix(branch, index)
                    branch_site = self._child(site, branch, suffix, f"/{keyword}/{index}", hoisted=hoisted)
                    if union_title:  # the "Key pair" branch of the "Snowflake" union: SnowflakeKeyPair...
                        branch_site.titles = [union_title[0] + t for t in branch_site.titles] + branch_site.titles
                    branches.append(self.hoist(branch, branch_site))
                result[keyword] = branches
        if not hoisted:
            return result
        key = _identity(result)
        site.key = key
        shape = self.shapes.setdefault(key, _Shape(schema=result))
        shape.sites.append(site)
        shape.variants.setdefault(site.pointer, result)
        return {"$ref": "pending:" + key}

    def assign_names(self, taken: set[str], operations: list[str], claimed: dict[str, str]) -> dict[str, str]:
        """Name every shape not ``claimed`` (published names) after its most prominent site.

        The most prominent site is the shallowest, unversioned, first in (canonical) document order.
        A shape that several operations share is named for what it is to all of them (see
        ``_shared_candidates``), never after one of them; no shape takes the name of an operation it
        is not part of (``_owner``).
        """
        names: dict[str, str] = dict(claimed)
        operation_names = {pascal(operation): operation for operation in operations}

        def prominence(site: _Site) -> tuple[int, bool, int]:
            return (site.level, site.versioned, site.order)

        best = {key: min(shape.sites, key=prominence) for key, shape in self.shapes.items()}
        deferred: list[str] = []
        for key in sorted(self.shapes, key=lambda k: prominence(best[k])):
            if key in names:
                continue
            site = best[key]
            schema = self.shapes[key].schema
            all_sites = sorted(self.shapes[key].sites, key=prominence)
            shared = list(dict.fromkeys(s.operation for s in all_sites if s.operation))
            if len(shared) > 1:
                if _is_page(schema) and not _common_names(shared, site, page=True):
                    deferred.append(key)  # named after its entries, once they have a name
                    continue
                parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
                parent_is_operations = _owner(parent_name, operation_names) is not None
                candidates = _shared_candidates(site, all_sites, shared, parent_is_operations, schema, names)
            else:
                candidates = self._candidates(site, all_sites, names)
            names[key] = self._choose(key, candidates, shared, operation_names, taken)
        for key in deferred:
            entry = _entries_ref(self.shapes[key].schema)
            candidates = [f"{plural(names[entry])}Page"] if entry in names else []
            names[key] = self._choose(key, [*candidates, "Page"], [], operation_names, taken)
        return names

    def _candidates(self, site: _Site, all_sites: list[_Site], names: dict[str, str]) -> list[str]:
        """Names for a shape of one operation (or of components only), best first."""
        parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
        candidates = [
            *(title for other in all_sites for title in other.titles),
            *_shared_names(all_sites),
            *(
                name
                for other in all_sites
                for name in _resource_names(names.get(other.parent.key or "", "") if other.parent else "", other.suffix)
            ),
            *_contextual_names(_stem(parent_name), site.suffix),
        ]
        if parent_name and site.titles:
            candidates.append(_stem(parent_name) + site.titles[0])
        return candidates

    def _choose(
        self, key: str, candidates: list[str], shared: list[str], operation_names: dict[str, str], taken: set[str]
    ) -> str:
        """The first candidate that is free, fits the shape's operations and clashes with none of its fields."""
        candidates = [self.rules.rename.get(c, c) for c in candidates if c]
        if len(shared) > 1:  # shared: named after none of its operations
            fitting = [c for c in candidates if _owner(c, operation_names) is None]
        elif shared:  # one operation's: named after that one or none
            fitting = [c for c in candidates if _owner(c, operation_names) in (None, shared[0])]
        else:  # under components only
            fitting = candidates
        candidates = fitting or [f"Shared{_shape_kind(self.shapes[key].schema)}"]
        candidates = [c for c in candidates if not self.clashes(key, c)] or [f"{candidates[0]}Model"]
        chosen = next((c for c in candidates if c not in taken), None)
        if chosen is None:
            number = 2
            while f"{candidates[-1]}{number}" in taken:
                number += 1
            chosen = f"{candidates[-1]}{number}"
        origin = min(site.pointer for site in self.shapes[key].sites)
        if chosen != candidates[0]:  # the name it wanted most was taken: say so, with the name chosen
            holder = self.holders.get(candidates[0], "a published, reserved or component name")
            self.collisions.append({"wanted": candidates[0], "chosen": chosen, "origin": origin, "holder": holder})
        taken.add(chosen)
        self.holders[chosen] = origin
        return chosen

    def clashes(self, key: str, name: str) -> bool:
        """Whether model ``name`` would clash with one of the shape's fields in the generated code.

        The generator names a local after the model's module in from_dict; a typed (model or
        union) property with that snake_case name clashes with it (``ServiceAccount.service_account``).
        """
        return any(
            _snake(field_name) == _snake(name)
            for field_name, prop in (self.shapes[key].schema.get("properties") or {}).items()
            if isinstance(prop, dict) and not {"$ref", "oneOf", "anyOf", "items"}.isdisjoint(prop)
        )


# Verbs that begin (or, as in ``filesList``, follow) an operationId; what is left is the resource.
_VERBS = frozenset({
    "Accept", "Add", "Assign", "Batch", "Copy", "Create", "Delete", "Download", "Export", "Get", "List", "Lookup",
    "Materialize", "Move", "Patch", "Post", "Put", "Remove", "Save", "Send", "Set", "Share", "Swap", "Sync", "Test",
    "Update",
})  # fmt: skip
_VERSION = re.compile(r"^V\d\w*$")


def _owner(name: str, operation_names: dict[str, str]) -> str | None:
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


def _role_bases(noun: str, verb: str, site: _Site) -> list[str]:
    """Names for ``noun`` in the site's role: ``ConnectionGrantCreateRequest``, ``WorkbookResponse``."""
    if site.level > 0:
        return [noun + site.suffix]
    if site.role == "Request":
        return [verb + noun + "Request", noun + verb + "Request"]
    if site.role == "Response":
        return [verb + noun + "Response", noun + verb + "Response"] if verb else [noun, noun + "Response"]
    return [noun + site.role]


def _common_names(operations: list[str], site: _Site, *, page: bool) -> list[str]:
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


def _shared_candidates(
    site: _Site,
    all_sites: list[_Site],
    operations: list[str],
    parent_is_operations: bool,
    schema: dict[str, JSON],
    names: dict[str, str],
) -> list[str]:
    """Names for a shape several operations share: its title, its kind, what the operations have in common."""
    candidates = [
        *(title for other in all_sites for title in other.titles),
        *_kind_names(schema, site),
        *_shared_names(all_sites),
        *(
            name
            for other in all_sites
            for name in _resource_names(names.get(other.parent.key or "", "") if other.parent else "", other.suffix)
        ),
    ]
    parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
    if parent_name and not parent_is_operations:  # named under a parent that no operation owns
        candidates += _contextual_names(_stem(parent_name), site.suffix)
    if site.level > 0 and len(re.findall(r"[A-Z][a-z0-9]*", site.suffix)) >= 2:
        candidates.append(site.suffix)  # ``GranteeOption2``, beside the ``GranteeOption1`` of the same union
    return [*candidates, *_common_names(operations, site, page=_is_page(schema))]


def _shape_kind(schema: dict[str, JSON]) -> str:
    return "Enum" if "enum" in schema else "Object"


def _kind_names(schema: dict[str, JSON], site: _Site) -> list[str]:
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


def _is_page(schema: dict[str, JSON]) -> bool:
    """One page of a list: ``entries`` and a cursor to the next page."""
    properties = schema.get("properties") or {}
    return "entries" in properties and not {"nextPage", "nextPageToken"}.isdisjoint(properties)


def _entries_ref(schema: dict[str, JSON]) -> str:
    """The identity of the (first) shape a page's ``entries`` hold, or ``""``."""
    items = ((schema.get("properties") or {}).get("entries") or {}).get("items") or {}
    for branch in [items, *(items.get("anyOf") or ()), *(items.get("oneOf") or ())]:
        ref = branch.get("$ref") if isinstance(branch, dict) else None
        if isinstance(ref, str) and ref.startswith("pending:"):
            return ref.split(":", 1)[1]
    return ""


def _identity(schema: dict[str, JSON]) -> str:
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


def _contextual_names(parent_stem: str, suffix: str) -> list[str]:
    """``{parent}{suffix}``, shortened from the left to at most 40 characters when the nesting is deep.

    Deep schedule and connection shapes would otherwise repeat every ancestor's name (93 characters).
    The untrimmed form stays last, for the rare case every shorter one is taken.
    """
    full = parent_stem + suffix
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", parent_stem)
    shorter = ["".join(words[start:]) + suffix for start in range(1, len(words) + 1)]
    return [name for name in [full, *shorter] if len(name) <= _MAX_CONTEXTUAL] + [full]


def _shared_names(sites: list[_Site]) -> list[str]:
    """A shape used under several parents by the same property (``authType``) is named for the property."""
    suffixes = {site.suffix for site in sites}
    parents = {site.parent.key if site.parent else None for site in sites}
    if len(parents) > 1 and len(suffixes) == 1:
        (suffix,) = suffixes
        if len(re.findall(r"[A-Z][a-z0-9]*", suffix)) >= 2:
            return [suffix]
    return []


def _resource_names(parent_name: str, suffix: str) -> list[str]:
    """The entries of ``ListConnectionsResponse`` are ``Connection``s."""
    match = re.match(r"^(?:V\d\w*?)?List([A-Z]\w*)Response$", parent_name) or re.match(r"^([A-Z]\w*)Page$", parent_name)
    if suffix == "Entry" and match:
        return [singular(match.group(1))]
    return []


def _titles(schema: JSON) -> list[str]:
    title = schema.get("title") if isinstance(schema, dict) else None
    name = pascal(title) if isinstance(title, str) else ""
    return [name] if name else []


def _singular_suffix(suffix: str) -> str:
    """``WorkbookTags`` → ``WorkbookTag``; an already-singular suffix gets ``Item``."""
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", suffix)
    if not words:
        return suffix + "Item"
    last = singular(words[-1])
    return suffix[: -len(words[-1])] + last if last != words[-1] else suffix + "Item"


def _branch_suffix(branch: JSON, index: int) -> str:
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


def _iter_top_sites(spec: dict[str, JSON]) -> Iterator[tuple[dict[str, JSON], str, _TopSite]]:
    """Yield ``(container, key, site)`` for every top-level schema slot of every operation."""
    for path_item in (spec.get("paths") or {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                yield from _operation_sites(operation)


def _operation_sites(operation: dict[str, JSON]) -> Iterator[tuple[dict[str, JSON], str, _TopSite]]:
    """The schema slots of one operation: its parameters, request body and 2xx responses."""
    operation_id = operation["operationId"]
    op_name = pascal(operation_id)
    versioned = bool(re.match(r"^v\d", operation_id))
    for parameter in operation.get("parameters") or ():
        if isinstance(parameter.get("schema"), dict):
            role = pascal(parameter["name"])
            pointer = f"{operation_id}#/parameters/{parameter['name']}"
            yield parameter, "schema", _TopSite(operation_id, role, versioned, [op_name + role], pointer)
    request = _TopSite(operation_id, "Request", versioned, [op_name + "Request"], f"{operation_id}#/requestBody")
    for media in _media_with_schema(operation.get("requestBody")):
        yield media, "schema", request
    # A getX operation's response is named X first: what it returns is the resource.
    preferred = [pascal(op_name[3:])] if op_name.startswith("Get") and len(op_name) > 3 else []
    for status, response in (operation.get("responses") or {}).items():
        if str(status).startswith("2"):
            names = [*preferred, op_name + "Response"]
            top = _TopSite(operation_id, "Response", versioned, names, f"{operation_id}#/responses/{status}")
            for media in _media_with_schema(response):
                yield media, "schema", top


def _media_with_schema(body: JSON) -> list[dict[str, JSON]]:
    """The media types of a request body or response that carry a schema."""
    content = (body or {}).get("content") or {}
    return [media for media in content.values() if isinstance(media.get("schema"), dict)]


def _claim(namer: _Namer, rules: Rules, taken: set[str], fixed: dict[str, str]) -> dict[str, str]:
    """The published names the shapes keep (``_published.py``), after the rename rules; each name once."""
    origins = {
        key: frozenset(site.pointer for site in shape.sites) for key, shape in namer.shapes.items() if key not in fixed
    }

    def usable(key: str, name: str) -> bool:
        final = rules.rename.get(name, name)
        return final not in taken and not namer.clashes(key, final)

    claimed: dict[str, str] = {}
    for key, name in sorted(claim_published_names(origins, rules.published, usable).items()):
        final = rules.rename.get(name, name)
        if final not in claimed.values():
            claimed[key] = final
    return claimed


def hoist_and_name_schemas(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Hoist inline objects and enums to named components (see the module docstring).

    Published names (``rules.published``) are kept first; every name chosen is recorded under
    ``x-sigma-sdk-names`` (with the names published before that no schema holds now), and every name
    a shape wanted but found taken under ``x-sigma-sdk-collisions`` (see ``naming_collisions``).
    """
    namer = _Namer(rules)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    fixed = _hoist_components(namer, schemas)
    operations = _hoist_operations(namer, spec)
    for key in fixed:  # a component's own name wins over any other site of the same shape
        namer.shapes[key].sites = [s for s in namer.shapes[key].sites if s.level == 0][:1]
    taken = set(rules.reserved) | set(fixed.values())
    claimed = _claim(namer, rules, taken, fixed)
    _record_holders(namer, rules, fixed, claimed)
    # A name ever published is never given to another schema.
    taken |= set(claimed.values()) | set(rules.published)
    names = namer.assign_names(taken, operations, {**claimed, **fixed})
    replace = _pending_refs_replacer(names)
    components = {  # non-hoistable components (unions) stay as they are
        name: replace(value)
        for name, value in schemas.items()
        if not (isinstance(value, dict) and str(value.get("$ref", "")).startswith("pending:"))
    }
    for key, shape in namer.shapes.items():
        # The generator prefers ``title`` over the component's name; the name already used it.
        schema = _representative(shape, rules.published.get(names[key]))
        components[names[key]] = {k: v for k, v in replace(schema).items() if k != "title"}
    spec["paths"] = replace(spec["paths"])
    spec["components"]["schemas"] = dict(sorted(components.items()))
    spec[EXTENSION] = _names_record(namer, rules, names, fixed, components)
    collisions = namer.collisions + attribute_collisions(spec["components"]["schemas"])
    spec[COLLISIONS] = sorted(collisions, key=lambda c: (c["wanted"], c["chosen"]))
    return spec


def _hoist_components(namer: _Namer, schemas: dict[str, JSON]) -> dict[str, str]:
    """Hoist the inline children of the existing components, which keep their names: ``{shape key: name}``."""
    fixed: dict[str, str] = {}
    for name in list(schemas):
        site = namer.site(False, [name], f"{_SCHEMA_PREFIX}{name}")
        schemas[name] = namer.hoist(schemas[name], site)
        if site.key is not None:
            fixed[site.key] = name
    return fixed


def _hoist_operations(namer: _Namer, spec: dict[str, JSON]) -> list[str]:
    """Hoist every operation's inline schemas; the operation IDs, in document order."""
    operations: list[str] = []
    for container, slot, top in list(_iter_top_sites(spec)):
        operations += [top.operation] if top.operation not in operations else []
        site = namer.site(top.versioned, top.names[:-1], top.pointer, top.operation, top.role)
        site.suffix = top.names[-1]  # the last name is the fallback
        container[slot] = namer.hoist(container[slot], site)
    return operations


def _record_holders(namer: _Namer, rules: Rules, fixed: dict[str, str], claimed: dict[str, str]) -> None:
    """Who holds each name taken before naming starts, for the collision report."""
    namer.holders.update({name: "reserved in openapi/normalization.toml" for name in rules.reserved})
    namer.holders.update({name: "a name published before" for name in rules.published})
    namer.holders.update({name: f"the component {_SCHEMA_PREFIX}{name}" for name in fixed.values()})
    namer.holders.update({name: min(s.pointer for s in namer.shapes[key].sites) for key, name in claimed.items()})


def _pending_refs_replacer(names: dict[str, str]) -> Callable[[JSON], JSON]:
    """A function that turns every ``pending:<shape key>`` reference into the name chosen for it."""

    def replace(node: JSON) -> JSON:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("pending:"):
                return {"$ref": _SCHEMA_PREFIX + names[ref.split(":", 1)[1]]}
            return {k: replace(v) for k, v in node.items()}
        if isinstance(node, list):
            return [replace(v) for v in node]
        return node

    return replace


def _names_record(
    namer: _Namer, rules: Rules, names: dict[str, str], fixed: dict[str, str], components: dict[str, JSON]
) -> dict[str, JSON]:
    """The ``x-sigma-sdk-names`` record: each chosen name's shape and origins, and the retired names."""
    record = {
        names[key]: Published(key, frozenset(site.pointer for site in shape.sites)).as_json()
        for key, shape in namer.shapes.items()
        if key not in fixed
    }
    for name, entry in rules.published.items():  # names no schema holds now stay recorded (retired)
        if name not in record and name not in components:
            record[name] = entry.as_json()
    return dict(sorted(record.items()))


COLLISIONS = "x-sigma-sdk-collisions"


def _representative(shape: _Shape, published: Published | None) -> dict[str, JSON]:
    """The occurrence of a shared shape whose documentation and field order the model shows.

    Occurrences differ only in documentation and property order. A published occurrence is kept (a
    new operation sharing the shape changes nothing in its model); otherwise the first one in
    (canonical) document order.
    """
    origins = published.origins if published is not None else frozenset()
    best = min(shape.sites, key=lambda site: (site.pointer not in origins, site.order))
    return shape.variants[best.pointer]


def attribute_collisions(schemas: dict[str, JSON]) -> list[dict[str, str]]:
    """Fields of one model whose JSON keys make the same snake_case attribute (``owner_info``, ``ownerInfo``).

    The model template (templates/model.py.jinja) gives the keys that are not snake_case the next
    free ``owner_info_2``, ``owner_info_3``... in property order; this says so, the same way.
    """
    from openapi_python_client.strings import snake_case  # the generator's own spelling of attributes

    found: list[dict[str, str]] = []
    for model, schema in schemas.items():
        keys = list((schema.get("properties") or {}) if isinstance(schema, dict) else ())
        snakes = [snake_case(key) for key in keys]
        # attribute -> the key it is for: snake_case keys, and the keys no other key collides with
        holders = {
            snake: key for key, snake in zip(keys, snakes, strict=True) if key == snake or snakes.count(snake) < 2
        }
        for key, snake in zip(keys, snakes, strict=True):
            if key == snake or snakes.count(snake) < 2:
                continue
            chosen = (
                snake
                if snake not in holders
                else next(f"{snake}_{n}" for n in range(2, 100) if f"{snake}_{n}" not in holders)
            )
            if chosen != snake:
                found.append({
                    "wanted": f"{model}.{snake}",
                    "chosen": f"{model}.{chosen}",
                    "origin": f"{_SCHEMA_PREFIX}{model} field {key!r}",
                    "holder": f"{_SCHEMA_PREFIX}{model} field {holders[snake]!r}",
                })  # fmt: skip
            holders[chosen] = key
    return found


def naming_collisions(spec: dict[str, JSON]) -> list[str]:
    """One line per name a schema or attribute wanted but could not have, with the name chosen instead.

    ``spec`` is a normalized spec. Only names chosen in this normalization are listed: a schema that
    kept its published name collided with nothing. For the change report.
    """
    return [
        f"{c['wanted']} wanted by {c['origin']}: named {c['chosen']} ({c['wanted']} is {c['holder']})"
        for c in spec.get(COLLISIONS) or ()
    ]
