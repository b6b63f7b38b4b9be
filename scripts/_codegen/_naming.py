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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._name_candidates import (
    Site,
    branch_suffix,
    common_names,
    contextual_names,
    entries_ref,
    is_page,
    owner_operation,
    pascal,
    plural,
    resource_names,
    shape_identity,
    shape_kind,
    shared_candidates,
    shared_names,
    singular_suffix,
    snake_name,
    stem,
    title_names,
)
from ._published import EXTENSION, Published, claim_published_names
from ._rules import Rules

__all__ = ["COLLISIONS", "attribute_collisions", "hoist_and_name_schemas", "naming_collisions"]

JSON = Any
_IGNORED_FOR_IDENTITY = frozenset({"description", "example", "examples", "title"})
_SCHEMA_PREFIX = "#/components/schemas/"


def _is_hoistable(schema: JSON) -> bool:
    if not isinstance(schema, dict) or "$ref" in schema:
        return False
    if schema.get("type") == "object" or ("properties" in schema and "type" not in schema):
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and len(enum) > 1 and schema.get("type") in ("string", "integer", "number")


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
    sites: list[Site] = field(default_factory=list)
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
    ) -> Site:
        self.order += 1
        return Site(self.order, 0, versioned, names, None, "", operation, role, pointer=pointer)

    def _child(self, site: Site, schema: JSON, suffix: str, segment: str, *, hoisted: bool) -> Site:
        self.order += 1
        return site.child(self.order, title_names(schema), suffix, segment, hoisted=hoisted)

    def hoist(self, schema: JSON, site: Site) -> JSON:
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
                items_site.suffix = singular_suffix(site.suffix)
            result["items"] = self.hoist(schema["items"], items_site)
        if isinstance(schema.get("additionalProperties"), dict):
            value = schema["additionalProperties"]
            value_site = self._child(site, value, "Value", "/additionalProperties", hoisted=hoisted)
            result["additionalProperties"] = self.hoist(value, value_site)
        union_title = title_names(schema) if not hoisted else []
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list):
                branches = []
                for index, branch in enumerate(schema[keyword]):
                    suffix = branch_suffix(branch, index)
                    branch_site = self._child(site, branch, suffix, f"/{keyword}/{index}", hoisted=hoisted)
                    if union_title:  # the "Key pair" branch of the "Snowflake" union: SnowflakeKeyPair...
                        branch_site.titles = [union_title[0] + t for t in branch_site.titles] + branch_site.titles
                    branches.append(self.hoist(branch, branch_site))
                result[keyword] = branches
        if not hoisted:
            return result
        key = shape_identity(result)
        site.key = key
        shape = self.shapes.setdefault(key, _Shape(schema=result))
        shape.sites.append(site)
        shape.variants.setdefault(site.pointer, result)
        return {"$ref": "pending:" + key}

    def assign_names(self, taken: set[str], operations: list[str], claimed: dict[str, str]) -> dict[str, str]:
        """Name every shape not ``claimed`` (published names) after its most prominent site.

        The most prominent site is the shallowest, unversioned, first in (canonical) document order.
        A shape that several operations share is named for what it is to all of them (see
        ``shared_candidates``), never after one of them; no shape takes the name of an operation it
        is not part of (``owner_operation``).
        """
        names: dict[str, str] = dict(claimed)
        operation_names = {pascal(operation): operation for operation in operations}

        def prominence(site: Site) -> tuple[int, bool, int]:
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
                if is_page(schema) and not common_names(shared, site, page=True):
                    deferred.append(key)  # named after its entries, once they have a name
                    continue
                parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
                parent_is_operations = owner_operation(parent_name, operation_names) is not None
                candidates = shared_candidates(site, all_sites, shared, parent_is_operations, schema, names)
            else:
                candidates = self._candidates(site, all_sites, names)
            names[key] = self._choose(key, candidates, shared, operation_names, taken)
        for key in deferred:
            entry = entries_ref(self.shapes[key].schema)
            candidates = [f"{plural(names[entry])}Page"] if entry in names else []
            names[key] = self._choose(key, [*candidates, "Page"], [], operation_names, taken)
        return names

    def _candidates(self, site: Site, all_sites: list[Site], names: dict[str, str]) -> list[str]:
        """Names for a shape of one operation (or of components only), best first."""
        parent_name = names.get(site.parent.key or "", "") if site.parent is not None else ""
        candidates = [
            *(title for other in all_sites for title in other.titles),
            *shared_names(all_sites),
            *(
                name
                for other in all_sites
                for name in resource_names(names.get(other.parent.key or "", "") if other.parent else "", other.suffix)
            ),
            *contextual_names(stem(parent_name), site.suffix),
        ]
        if parent_name and site.titles:
            candidates.append(stem(parent_name) + site.titles[0])
        return candidates

    def _choose(
        self, key: str, candidates: list[str], shared: list[str], operation_names: dict[str, str], taken: set[str]
    ) -> str:
        """The first candidate that is free, fits the shape's operations and clashes with none of its fields."""
        candidates = [self.rules.rename.get(c, c) for c in candidates if c]
        if len(shared) > 1:  # shared: named after none of its operations
            fitting = [c for c in candidates if owner_operation(c, operation_names) is None]
        elif shared:  # one operation's: named after that one or none
            fitting = [c for c in candidates if owner_operation(c, operation_names) in (None, shared[0])]
        else:  # under components only
            fitting = candidates
        candidates = fitting or [f"Shared{shape_kind(self.shapes[key].schema)}"]
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
            snake_name(field_name) == snake_name(name)
            for field_name, prop in (self.shapes[key].schema.get("properties") or {}).items()
            if isinstance(prop, dict) and not {"$ref", "oneOf", "anyOf", "items"}.isdisjoint(prop)
        )


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
