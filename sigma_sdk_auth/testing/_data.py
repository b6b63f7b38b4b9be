"""The stand-in's seeded organization: connections, members, workbooks and account types.

Deterministic for a given seed, so a test can rely on counts and names; bodies have the shapes of
Sigma's spec 2.0.0 (the generated models parse them and ``tests/fake/test_operations.py`` validates them
against the spec).
"""

from __future__ import annotations

import datetime
import random
import re
import uuid
from typing import Any, Final

__all__ = ["Organization", "iso_timestamp"]

_ALPHANUMERIC: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_TEAMS: Final = (
    "Finance",
    "Marketing",
    "Sales Ops",
    "Product Analytics",
    "Data Platform",
    "Customer Success",
    "RevOps",
    "Supply Chain",
    "People",
    "Security",
)
_ENVIRONMENTS: Final = ("prod", "staging", "dev")
# (type in Sigma's API, display name, weight)
_WAREHOUSE_TYPES: Final = (
    ("snowflake", "Snowflake", 5),
    ("bigQuery", "BigQuery", 2),
    ("databricks", "Databricks", 2),
    ("postgres", "PostgreSQL", 1),
    ("redshift", "Redshift", 1),
    ("mysql", "MySQL", 1),
)
_FIRST_NAMES: Final = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
_LAST_NAMES: Final = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman")
_ACCOUNT_TYPES: Final = (("Admin", False), ("Creator", False), ("Explorer", False), ("Viewer", False))
_REPORTS: Final = ("Revenue", "Pipeline", "Churn", "Inventory", "Headcount", "Usage", "Forecast", "Margins")


def iso_timestamp(moment: datetime.datetime) -> str:
    """Sigma's timestamp style: ``2024-05-01T12:34:56.789Z``."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _short_id(rng: random.Random, length: int = 14) -> str:
    return "".join(rng.choice(_ALPHANUMERIC) for _ in range(length))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class Organization:
    """One organization: its admin user, members, connections, workbooks and account types."""

    def __init__(self, *, connections: int, archived: int, members: int, workbooks: int, seed: int) -> None:
        rng = random.Random(seed)
        self.organization_id = _uuid(rng)
        self.user_id = _short_id(rng)
        start = datetime.datetime(2022, 3, 1, 9, 0, tzinfo=datetime.UTC)
        self.account_types = [
            {
                "accountTypeId": _short_id(rng, 10),
                "accountTypeName": name,
                "description": f"{name} users",
                "isCustom": custom,
            }
            for name, custom in (*_ACCOUNT_TYPES, ("Analyst (custom)", True))
        ]
        self.members: dict[str, dict[str, Any]] = {}
        for index in range(max(members, 1)):
            member_id = self.user_id if index == 0 else _short_id(rng)
            first, last = _FIRST_NAMES[index % len(_FIRST_NAMES)], _LAST_NAMES[index % len(_LAST_NAMES)]
            created = start + datetime.timedelta(days=index * 3, minutes=rng.randrange(24 * 60))
            self.members[member_id] = {
                "organizationId": self.organization_id,
                "memberId": member_id,
                "memberType": "admin" if index == 0 else rng.choice(("creator", "explorer", "viewer")),
                "firstName": first,
                "lastName": last,
                "email": f"{first.lower()}.{last.lower()}{index}@example.com",
                "profileImgUrl": None,
                "createdBy": self.user_id,
                "updatedBy": self.user_id,
                "createdAt": iso_timestamp(created),
                "updatedAt": iso_timestamp(created + datetime.timedelta(days=rng.randrange(1, 90))),
                "homeFolderId": _uuid(rng),
                "userKind": "internal",
                "isArchived": index % 17 == 16,
                "isInactive": index % 11 == 10,
            }
        users = list(self.members)[:7]
        self.connections: dict[str, dict[str, Any]] = {}
        self._seed_connections(rng, start, users, connections, archived)
        self.workbooks: dict[str, dict[str, Any]] = {}
        for index in range(workbooks):
            workbook_id = _uuid(rng)
            url_id = _short_id(rng, 22)
            team = _TEAMS[index % len(_TEAMS)]
            name = f"{team} {_REPORTS[index % len(_REPORTS)]} #{index}"
            created = start + datetime.timedelta(days=index * 2, minutes=rng.randrange(24 * 60))
            owner = rng.choice(users)
            self.workbooks[workbook_id] = {
                "workbookId": workbook_id,
                "workbookUrlId": url_id,
                "name": name,
                "url": f"https://app.sigmacomputing.com/standin/workbook/{name.replace(' ', '-')}-{url_id}",
                "path": f"Workspace/{team}",
                "latestVersion": rng.randrange(1, 40),
                "ownerId": owner,
                "createdBy": owner,
                "updatedBy": rng.choice(users),
                "createdAt": iso_timestamp(created),
                "updatedAt": iso_timestamp(created + datetime.timedelta(days=rng.randrange(1, 120))),
                "isArchived": False,
                "tags": [],
            }

    def _seed_connections(
        self, rng: random.Random, start: datetime.datetime, users: list[str], connections: int, archived: int
    ) -> None:
        types = [t for t, _, weight in _WAREHOUSE_TYPES for _ in range(weight)]
        labels = {t: label for t, label, _ in _WAREHOUSE_TYPES}
        for index in range(connections + archived):
            created = start + datetime.timedelta(days=index * 5, minutes=rng.randrange(24 * 60))
            updated = created + datetime.timedelta(days=rng.randrange(1, 200))
            if index == 0:
                kind, name = "snowflake", "Sigma Sample Database"
            else:
                kind = rng.choice(types)
                team, env = _TEAMS[index % len(_TEAMS)], _ENVIRONMENTS[(index // len(_TEAMS)) % len(_ENVIRONMENTS)]
                name = f"{team} {labels[kind]} ({env}) #{index}"
            connection: dict[str, Any] = {
                "organizationId": self.organization_id,
                "connectionId": _uuid(rng),
                "isSample": index == 0,
                "isAuditLog": False,
                "lastActiveAt": iso_timestamp(updated + datetime.timedelta(hours=rng.randrange(1, 500))),
                "name": name,
                "type": kind,
                "useOauth": kind == "databricks" and rng.random() < 0.5,
                "createdBy": rng.choice(users),
                "updatedBy": rng.choice(users),
                "createdAt": iso_timestamp(created),
                "updatedAt": iso_timestamp(updated),
                "isArchived": index >= connections,
                "timeout": {"default": rng.choice((120, 300, 600))},
                "friendlyName": rng.random() < 0.7,
            }
            if kind == "snowflake":
                slug = re.sub(r"[^A-Z0-9]+", "_", name.split(" (")[0].upper()).strip("_")
                connection.update(
                    account=f"acme-{'xy' if index % 2 else 'eu'}{10000 + index}",
                    warehouse=f"{slug}_WH",
                    user=f"SIGMA_SVC_{slug}",
                    role=f"SIGMA_{slug}_ROLE",
                    writeAccess=index % 3 == 0,
                    poolSizes={"isPoolConfigured": True, "adhocPoolSize": 8, "schedulePoolSize": 4},
                )
                if connection["writeAccess"]:
                    connection["writebacks"] = [{"database": "SIGMA_WRITEBACK", "schema": slug}]
                    connection["materializationWarehouse"] = f"{slug}_MAT_WH"
            self.connections[connection["connectionId"]] = connection
