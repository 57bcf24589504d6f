"""Every admin route, walked from the route table itself, so a new route cannot be missed: no
session → 401, a change without the right CSRF token → 403, the wrong role → 403."""

from __future__ import annotations

import re

import pytest
from tests.admin.conftest import Console, Instance

from attunio import admin

ROUTES = admin.route_table()
GUARDED = [(method, path) for method, path, public, _ in ROUTES if not public]
CHANGES = [(method, path) for method, path in GUARDED if method not in ("GET", "HEAD")]
BY_ROLE = [(method, path, roles) for method, path, public, roles in ROUTES if not public]


def concrete(path: str) -> str:
    """A path of the table with each parameter filled in (the guard answers before any lookup)."""
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: {"engine": "relapse_risk"}.get(m.group(1), "x_1"), path)


def test_the_table_holds_every_documented_route() -> None:
    assert len(GUARDED) >= 20
    assert [(m, p) for m, p, public, _ in ROUTES if public] == [("POST", "/admin/api/session")]


@pytest.mark.parametrize(("method", "path"), GUARDED, ids=[f"{m} {p}" for m, p in GUARDED])
def test_no_session_is_401_session_required(instance: Instance, method: str, path: str) -> None:
    with instance.client() as client:
        for cookie in (None, "att_sess_" + "0" * 64, "garbage"):
            if cookie:
                client.cookies.set("attunio_admin", cookie)
            answer = client.request(method, concrete(path), json={})
            assert answer.status_code == 401, (cookie, answer.text)
            assert answer.json()["error"]["code"] == "session_required"


@pytest.mark.parametrize(("method", "path"), CHANGES, ids=[f"{m} {p}" for m, p in CHANGES])
def test_a_change_without_the_right_csrf_token_is_403(console: Console, method: str, path: str) -> None:
    for token in (None, "", "0" * 64, console.csrf[:-1] + ("0" if console.csrf[-1] != "0" else "1")):
        headers = {} if token is None else {"X-CSRF-Token": token}
        answer = console.client.request(method, concrete(path), json={}, headers=headers)
        assert answer.status_code == 403, (token, answer.text)
        assert answer.json()["error"]["code"] == "csrf_failed"
    # The session survived the refusals: the same token still works where a change is allowed.
    assert console.get("/admin/api/session").status_code == 200


def test_another_sessions_csrf_token_is_refused(instance: Instance, console: Console) -> None:
    with instance.client() as other_client:
        other = instance.sign_in("admin", other_client)
    answer = console.client.post("/admin/api/apps", json={"name": "EHR"}, headers={"X-CSRF-Token": other.csrf})
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize(("method", "path", "roles"), BY_ROLE, ids=[f"{m} {p}" for m, p, _ in BY_ROLE])
def test_each_role_is_refused_where_the_table_says(instance: Instance, method: str, path: str,
                                                   roles: tuple[str, ...]) -> None:
    for role in ("admin", "reviewer"):
        if role in roles:
            continue
        with instance.client() as client:
            signed_in = instance.sign_in(role, client)
            answer = signed_in.change(method, concrete(path), {})
            assert answer.status_code == 403, answer.text
            error = answer.json()["error"]
            assert error["code"] == "forbidden" and signed_in.admin_id in error["message"]


def test_the_roles_are_the_documented_ones() -> None:
    roles = {(m, p): r for m, p, _, r in ROUTES}
    for action in ("promote", "rollback", "reset"):
        assert roles[("POST", f"/admin/api/models/{{engine:str}}/{action}")] == ("reviewer",)
    for route in (("POST", "/admin/api/apps"), ("PUT", "/admin/api/keys/{key_id:str}/origins"),
                  ("GET", "/admin/api/usage/report")):
        assert roles[route] == ("admin",)
    assert all(r == ("admin", "reviewer") for (m, _), r in roles.items() if m == "GET" and "report" not in _)
