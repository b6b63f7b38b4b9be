"""The organization's endpoints: whoami, connections, members, workbooks, their pages and account types.

:class:`OrganizationApi` is one part of :class:`~sigma_sdk_auth.testing.SigmaStandin`: the handlers
``_routes.ROUTES`` names (each takes the matched :class:`~sigma_sdk_auth.testing._routes.Call`) and
the inspection methods over the seeded :class:`~sigma_sdk_auth.testing._data.Organization`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import httpx

from sigma_sdk.models.create_connection_request import CreateConnectionRequest
from sigma_sdk.models.snowflake_basic_authentication import SnowflakeBasicAuthentication
from sigma_sdk.models.snowflake_key_pair_authentication import SnowflakeKeyPairAuthentication
from sigma_sdk.models.snowflake_o_auth import SnowflakeOAuth

from ._answers import bad_request, not_found
from ._bodies import check_body
from ._data import Organization, iso_timestamp

if TYPE_CHECKING:
    from ._routes import Call

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "OrganizationApi"]

DEFAULT_PAGE_SIZE: Final = 50  # what Sigma returns when no limit is given
MAX_PAGE_SIZE: Final = 1000
# Each workbook's pages and their elements, made from its ID (so add_workbook's get them too).
PAGE_NAMES: Final = ("Overview", "Details", "Forecast", "Appendix")
ELEMENTS_OF_A_PAGE: Final = (
    ("Revenue by region", "visualization", "bar", ("Region", "Revenue")),
    ("Orders", "table", "levelTable", ("Order Id", "Region", "Revenue", "Order Date")),
    ("Top customers", "pivot-table", "pivotTable", ("Customer", "Revenue")),
    ("Notes", "text", "text", ()),
)
_PEM_KEY: Final = re.compile(
    r"-----BEGIN (?P<kind>(?:ENCRYPTED |RSA )?PRIVATE KEY)-----\s+[A-Za-z0-9+/=\s]+-----END (?P=kind)-----\s*"
)
# The credentials each Snowflake form of createConnection's details carries, by its authType.
_SNOWFLAKE_AUTH: Final[Mapping[type, str]] = {
    SnowflakeKeyPairAuthentication: "key-pair",
    SnowflakeBasicAuthentication: "basic-auth",
    SnowflakeOAuth: "oauth",
}


def _json(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def _get(table: Mapping[str, dict[str, Any]], what: str, ident: str) -> httpx.Response:
    item = table.get(ident)
    if item is None:
        raise not_found(what, ident)
    return _json(dict(item))


def _flag(query: Mapping[str, str], name: str) -> bool:
    text = query.get(name, "false").lower()
    if text not in ("true", "false"):
        raise bad_request(f"{name} must be true or false")
    return text == "true"


def _limit(query: Mapping[str, str], name: str = "limit") -> int | None:
    if name not in query:
        return None
    try:
        number = float(query[name])
    except ValueError:
        raise bad_request(f"{name} must be a number") from None
    if not number.is_integer() or not 1 <= number <= MAX_PAGE_SIZE:
        raise bad_request(f"{name} must be a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(number)


def _offset(token: str, key: str) -> int:
    """Decode an opaque cursor; a forged one or one from another query is a 400."""
    if not token:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
        offset, page_key = int(decoded["o"]), str(decoded["k"])
    except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
        raise bad_request("Invalid page token") from None
    if page_key != key or offset < 0:
        raise bad_request("The page token belongs to another query")
    return offset


def _cursor(offset: int, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "k": key}, separators=(",", ":")).encode()).decode()


def _page(items: Sequence[dict[str, Any]], query: Mapping[str, str], key_parts: Iterable[object]) -> httpx.Response:
    """``page``/``limit`` pagination: ``{entries, nextPage, total}``, nextPage null on the last page."""
    limit = _limit(query) or DEFAULT_PAGE_SIZE
    key = hashlib.sha256("\0".join(map(str, key_parts)).encode()).hexdigest()[:12]
    offset = _offset(query.get("page", ""), key)
    next_page = _cursor(offset + limit, key) if offset + limit < len(items) else None
    entries = [dict(item) for item in items[offset : offset + limit]]
    return _json({"entries": entries, "nextPage": next_page, "total": len(items)})


def _stable_id(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()[:12]


class OrganizationApi:
    """The seeded organization's endpoints and the methods that inspect and extend it."""

    # Set by SigmaStandin.__init__ (shared with the other parts of the stand-in).
    org: Organization
    lock: threading.RLock
    pages_per_workbook: int
    elements_per_page: int

    @property
    def user_id(self) -> str:
        """The member ID of the user the credentials belong to (``GET /v2/whoami``)."""
        return self.org.user_id

    @property
    def organization_id(self) -> str:
        return self.org.organization_id

    # -- inspection and seeding ---------------------------------------------------------------------

    def connections(self, *, include_archived: bool = True) -> list[dict[str, Any]]:
        """A copy of every connection (seeded and created), in list order."""
        with self.lock:
            return [dict(c) for c in self.org.connections.values() if include_archived or not c["isArchived"]]

    def members(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(m) for m in self.org.members.values()]

    def workbooks(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(w) for w in self.org.workbooks.values()]

    def add_workbook(self, name: str, *, workbook_id: str | None = None) -> dict[str, Any]:
        """Add a workbook to the organization (e.g. with the ID your code expects); return a copy."""
        template = next(iter(self.org.workbooks.values()), None)
        workbook_id = workbook_id or str(uuid.uuid4())
        now = iso_timestamp(datetime.datetime.now(datetime.UTC))
        workbook: dict[str, Any] = dict(template) if template else {}
        workbook.update(
            workbookId=workbook_id,
            workbookUrlId=workbook_id,
            name=name,
            url=f"https://app.sigmacomputing.com/standin/workbook/{workbook_id}",
            path="My Documents",
            latestVersion=1,
            ownerId=self.user_id,
            createdBy=self.user_id,
            updatedBy=self.user_id,
            createdAt=now,
            updatedAt=now,
            isArchived=False,
        )
        with self.lock:
            self.org.workbooks[workbook_id] = workbook
        return dict(workbook)

    def pages(self, workbook_id: str) -> list[dict[str, Any]]:
        """A workbook's pages, each with its ``elements``: what ``GET .../pages`` and ``.../elements`` serve."""
        if workbook_id not in self.org.workbooks:
            raise not_found("Workbook", workbook_id)
        elements = ELEMENTS_OF_A_PAGE[: self.elements_per_page]
        return [
            {
                "pageId": _stable_id(workbook_id, "page", index),
                "name": name,
                "hidden": False,
                "elements": [
                    {
                        "elementId": _stable_id(workbook_id, index, "element", number),
                        "name": element_name,
                        "type": kind,
                        "vizualizationType": visualization,  # sic: Sigma's spelling
                        "columns": list(columns),
                    }
                    for number, (element_name, kind, visualization, columns) in enumerate(elements)
                ],
            }
            for index, name in enumerate(PAGE_NAMES[: self.pages_per_workbook])
        ]

    # -- handlers (see _routes.ROUTES) --------------------------------------------------------------

    def whoami(self, call: Call) -> httpx.Response:
        return _json({"userId": self.user_id, "organizationId": self.organization_id})

    def get_connection(self, call: Call) -> httpx.Response:
        return _get(self.org.connections, "Connection", call.params["connectionId"])

    def get_member(self, call: Call) -> httpx.Response:
        return _get(self.org.members, "Member", call.params["memberId"])

    def get_workbook(self, call: Call) -> httpx.Response:
        return _get(self.org.workbooks, "Workbook", call.params["workbookId"])

    def list_connections(self, call: Call) -> httpx.Response:
        include_archived, search = _flag(call.query, "includeArchived"), call.query.get("search", "")
        matching = [
            c
            for c in self.org.connections.values()
            if (include_archived or not c["isArchived"]) and search.lower() in c["name"].lower()
        ]
        return _page(matching, call.query, ("connections", include_archived, search))

    def list_members(self, call: Call) -> httpx.Response:
        query = call.query
        archived, inactive = _flag(query, "includeArchived"), _flag(query, "includeInactive")
        search = query.get("search", "").lower()
        matching = [
            m
            for m in self.org.members.values()
            if (archived or not m["isArchived"])
            and (inactive or not m["isInactive"])
            and any(search in m[k].lower() for k in ("firstName", "lastName", "email"))
        ]
        if "limit" not in query and "page" not in query:
            return _json([dict(m) for m in matching])  # like Sigma: a bare array without paging
        return _page(matching, query, ("members", archived, inactive, search))

    def list_workbooks(self, call: Call) -> httpx.Response:
        archived = _flag(call.query, "isArchived")
        matching = [w for w in self.org.workbooks.values() if w["isArchived"] == archived]
        return _page(matching, call.query, ("workbooks", archived))

    def list_account_types(self, call: Call) -> httpx.Response:
        """``pageToken``/``pageSize`` pagination: ``{entries, nextPageToken}``, the token absent on the last page."""
        size = _limit(call.query, "pageSize") or DEFAULT_PAGE_SIZE
        offset = _offset(call.query.get("pageToken", ""), "accountTypes")
        body: dict[str, Any] = {"entries": [dict(t) for t in self.org.account_types[offset : offset + size]]}
        if offset + size < len(self.org.account_types):
            body["nextPageToken"] = _cursor(offset + size, "accountTypes")
        return _json(body)

    def list_pages(self, call: Call) -> httpx.Response:
        workbook_id = call.params["workbookId"]
        pages = [{k: v for k, v in page.items() if k != "elements"} for page in self.pages(workbook_id)]
        return _page(pages, call.query, ("pages", workbook_id))

    def list_elements(self, call: Call) -> httpx.Response:
        workbook_id, page_id = call.params["workbookId"], call.params["pageId"]
        page = next((page for page in self.pages(workbook_id) if page["pageId"] == page_id), None)
        if page is None:
            raise not_found("Page", page_id)
        return _page(page["elements"], call.query, ("elements", workbook_id, page_id))

    def create_connection(self, call: Call) -> httpx.Response:
        """``POST /v2/connections``: a body that fits the schema, for Snowflake; secrets never stored."""
        body = call.body()
        fields = _snowflake_fields(CreateConnectionRequest.from_dict(body), body["details"])
        now = iso_timestamp(datetime.datetime.now(datetime.UTC))
        connection: dict[str, Any] = {
            "organizationId": self.organization_id,
            "connectionId": str(uuid.uuid4()),
            "isSample": False,
            "isAuditLog": False,
            "lastActiveAt": now,
            "name": body["name"],
            "type": "snowflake",
            "createdBy": self.user_id,
            "updatedBy": self.user_id,
            "createdAt": now,
            "updatedAt": now,
            "isArchived": False,
            "timeout": {"default": body.get("timeoutSecs", 120)},
            "friendlyName": body.get("useFriendlyNames", False),
            **fields,
        }
        self.org.connections[connection["connectionId"]] = connection
        return _json(dict(connection), 201)


def _snowflake_fields(request: CreateConnectionRequest, details: Mapping[str, Any]) -> dict[str, Any]:
    """The stand-in's rules beyond the schema (Snowflake only, usable credentials); the fields to store."""
    if not request.name.strip():
        raise bad_request("name is required and must be a non-empty string")
    if type(request.details) not in _SNOWFLAKE_AUTH:
        raise bad_request(f"This stand-in creates Snowflake connections only, not {str(details.get('type'))[:40]!r}")
    if not details.get("account") and not details.get("host"):
        raise bad_request("A Snowflake connection needs details.account or details.host")
    form = _named_form(request.details, details)
    if isinstance(form, SnowflakeKeyPairAuthentication):
        _check_key_pair(form, details)
    if isinstance(form, SnowflakeOAuth) and form.use_oauth is not True:
        raise bad_request("OAuth connections need details.useOauth: true")
    return _stored_fields(details, use_oauth=isinstance(form, SnowflakeOAuth))


def _named_form(form: object, details: Mapping[str, Any]) -> object:
    """The form ``details.authType`` names, when given: the union may have read the details as another first."""
    named = next((kind for kind, auth in _SNOWFLAKE_AUTH.items() if auth == details.get("authType")), None)
    if named is None or isinstance(form, named):
        return form
    check_body(named, details, path="details")
    return named.from_dict(details)  # type: ignore[attr-defined]


def _stored_fields(details: Mapping[str, Any], *, use_oauth: bool) -> dict[str, Any]:
    """What a created connection keeps of its details: never a secret."""
    stored: dict[str, Any] = {"useOauth": use_oauth, "writeAccess": isinstance(details.get("writeAccess"), dict)}
    for key in ("account", "warehouse", "user", "role"):
        if isinstance(details.get(key), str):
            stored[key] = details[key]
    write_access = details.get("writeAccess")
    if isinstance(write_access, dict) and isinstance(write_access.get("materializationWarehouse"), str):
        stored["materializationWarehouse"] = write_access["materializationWarehouse"]
    return stored


def _check_key_pair(form: SnowflakeKeyPairAuthentication, details: Mapping[str, Any]) -> None:
    """A usable key pair: a user, a PEM private key, a passphrase for an encrypted one, no password."""
    if not form.user:
        raise bad_request("Key-pair authentication needs details.user")
    found = _PEM_KEY.fullmatch(form.private_key.strip() + "\n")
    if found is None:
        raise bad_request("details.privateKey must be a PEM private key (-----BEGIN PRIVATE KEY----- ...)")
    if found["kind"].startswith("ENCRYPTED") and not details.get("privateKeyPassphrase"):
        raise bad_request("An encrypted private key needs details.privateKeyPassphrase")
    if "password" in details:
        raise bad_request("Key-pair authentication takes privateKey, not password")
