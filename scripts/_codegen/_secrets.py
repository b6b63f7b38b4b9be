"""Which model fields hold secrets, decided once by the runtime's rule and rendered for the model template.

``mark_secret_properties`` marks every object property whose name the rule of
``sigma_sdk_auth._secrets.is_secret_name`` calls secret (``privateKey``, ``privateKeyPassphrase``,
``password``, ``clientSecret``, ``token``, ``pythonSecrets``...): the object schema lists them under
``x-sigma-secret-properties`` (on the object, not the property: a ``$ref`` takes no siblings).
openapi-python-client does not pass extensions to templates, so ``secret_properties_template``
renders the marked names as a Jinja module the model template imports; a marked field is declared
``_attrs_field(repr=False)`` and so never appears in a model's ``repr`` (``to_dict()`` still sends
it). The runtime applies the same rule to request bodies, to scrub those values from errors.
"""

from __future__ import annotations

import json
from typing import Any

from sigma_sdk_auth._secrets import is_secret_name

from ._rules import Rules

__all__ = ["EXTENSION", "SECRETS_TEMPLATE", "mark_secret_properties", "secret_properties_template"]

JSON = Any
EXTENSION = "x-sigma-secret-properties"
SECRETS_TEMPLATE = "secret_properties.jinja"


def _object_schemas(node: JSON) -> list[dict[str, JSON]]:
    """Every schema with a ``properties`` map, anywhere in ``node`` (a property map is not itself one)."""
    found: list[dict[str, JSON]] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            properties = item.get("properties")
            if isinstance(properties, dict) and all(isinstance(p, dict) for p in properties.values()):
                found.append(item)
                pending.extend(properties.values())
                pending.extend(value for key, value in item.items() if key != "properties")
            else:
                pending.extend(item.values())
    return found


def mark_secret_properties(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """List the properties whose names say they hold secrets under the object's ``x-sigma-secret-properties``.

    Sigma's spec has no ``format: password`` or ``writeOnly`` on its credentials (a Snowflake
    connection's ``privateKey``, a Postgres ``password``...), so the name decides, by the one rule
    the runtime also uses to scrub request bodies from errors. Metadata only: nothing on the wire changes.
    """
    for schema in _object_schemas(spec):
        secret = sorted(name for name in schema["properties"] if is_secret_name(name))
        if secret:
            schema[EXTENSION] = secret
        else:
            schema.pop(EXTENSION, None)
    return spec


def secret_properties_template(spec: dict[str, JSON]) -> str:
    """A Jinja module: ``{% from "secret_properties.jinja" import secret_properties %}``, the marked JSON names."""
    names = sorted({name for schema in _object_schemas(spec) for name in schema.get(EXTENSION) or ()})
    return (
        "{#- Written by scripts/regenerate.py from the x-sigma-secret-properties marks of the normalized spec. -#}\n"
        f"{{% set secret_properties = {json.dumps(names)} %}}\n"
    )
