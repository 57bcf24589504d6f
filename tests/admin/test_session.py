"""Sign-in, the session cookie, CSRF, Origin, expiry, sign-out and throttling."""

from __future__ import annotations

from pathlib import Path

from tests.admin.conftest import BASE_URL, Console, Instance, make_instance
from tests.logscan import ISSUED_SECRETS


def test_sign_in_sets_the_documented_cookie_and_returns_the_session(instance: Instance) -> None:
    with instance.client() as client:
        answer = client.post("/admin/api/session", json={"token": instance.tokens["admin"]})
        assert answer.status_code == 200, answer.text
        cookie = answer.headers["set-cookie"]
        name, _, rest = cookie.partition("=")
        value, _, attributes = rest.partition("; ")
        assert name == "attunio_admin" and value.startswith("att_sess_")
        assert attributes == "HttpOnly; Secure; SameSite=Strict; Path=/admin"
        data = answer.json()
        assert data["admin"] == {"id": instance.ids["admin"], "name": "Sam Ortiz", "role": "admin"}
        assert data["idleExpiresAt"] == "2026-11-30T09:30:00.000Z"
        assert data["absoluteExpiresAt"] == "2026-11-30T21:00:00.000Z"
        again = client.get("/admin/api/session")
        assert again.status_code == 200 and again.json()["csrfToken"] == data["csrfToken"]
        assert answer.headers["cache-control"] == "no-store"
    # Only a keyed hash of the cookie is stored.
    rows = instance.store.query("SELECT id_hash FROM admin_sessions")
    assert len(rows) == 1 and value.encode() not in bytes(rows[0][0])


def test_a_wrong_token_is_refused_with_invalid_admin_token(instance: Instance) -> None:
    with instance.client() as client:
        for token in ("att_admin_" + "x" * 36, instance.tokens["admin"][:-1] + "Q", "hunter2", ""):
            answer = client.post("/admin/api/session", json={"token": token})
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == "invalid_admin_token"
            assert "set-cookie" not in answer.headers


def test_a_malformed_sign_in_body_names_the_problem(instance: Instance) -> None:
    with instance.client() as client:
        answer = client.post("/admin/api/session", json={"token": "x", "password": "y"})
        assert answer.status_code == 400
        assert "password" in answer.json()["error"]["message"]
        assert client.post("/admin/api/session", content=b"{").json()["error"]["message"] == \
            "The body is not valid JSON."


def test_idle_expiry_ends_the_session_server_side(instance: Instance, console: Console) -> None:
    instance.clock.advance(minutes=29)
    assert console.get("/admin/api/session").status_code == 200  # use restarts the idle clock
    instance.clock.advance(minutes=29)
    assert console.get("/admin/api/apps").status_code == 200
    instance.clock.advance(minutes=30, seconds=1)
    answer = console.get("/admin/api/apps")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_required"
    assert instance.store.query("SELECT count(*) FROM admin_sessions")[0][0] == 0


def test_absolute_expiry_ends_a_busy_session(instance: Instance, console: Console) -> None:
    for _ in range(12 * 4 - 1):
        instance.clock.advance(minutes=15)
        assert console.get("/admin/api/session").status_code == 200
    instance.clock.advance(minutes=15)
    assert console.get("/admin/api/session").status_code == 401


def test_settings_change_the_timeouts(tmp_path: Path) -> None:
    other = make_instance(tmp_path, ATTUNIO_ADMIN_IDLE_TIMEOUT_MINUTES="5", ATTUNIO_ADMIN_ABSOLUTE_TIMEOUT_HOURS="1")
    with other.client() as client:
        data = other.sign_in("admin", client)
        assert client.get("/admin/api/session").json()["idleExpiresAt"] == "2026-11-30T09:05:00.000Z"
        other.clock.advance(minutes=5)
        assert data.get("/admin/api/session").status_code == 401
    other.store.close()


def test_sign_out_kills_the_session_server_side(instance: Instance, console: Console) -> None:
    cookie = console.client.cookies["attunio_admin"]
    answer = console.change("DELETE", "/admin/api/session")
    assert answer.status_code == 204
    assert "Max-Age=0" in answer.headers["set-cookie"]
    with instance.client() as replay:  # the old cookie, presented again, opens nothing
        replay.cookies.set("attunio_admin", cookie)
        assert replay.get("/admin/api/session").status_code == 401
    assert instance.store.query("SELECT count(*) FROM admin_sessions")[0][0] == 0


def test_a_cookie_from_another_instance_is_refused(tmp_path: Path, instance: Instance, console: Console) -> None:
    other = make_instance(tmp_path / "two")
    with other.client() as client:
        client.cookies.set("attunio_admin", console.client.cookies["attunio_admin"])
        answer = client.get("/admin/api/session")
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_required"
        answer = client.post("/admin/api/apps", json={"name": "X"}, headers={"X-CSRF-Token": console.csrf})
        assert answer.status_code == 401
    other.store.close()


def test_a_revoked_admin_loses_its_session(instance: Instance, console: Console) -> None:
    from attunio.services.operations.admins import AdminService

    AdminService(instance.store, instance.clock).revoke(instance.ids["admin"], actor="test")
    assert console.get("/admin/api/session").status_code == 401


def test_api_keys_never_open_the_admin_api(instance: Instance) -> None:
    from attunio.services.request_path.access import AccessService

    access = AccessService(instance.store, instance.clock)
    access.create_app("EHR", actor="test")
    _, secret = access.create_key("EHR", "secret", "test", actor="test")
    _, publishable = access.create_key("EHR", "publishable", "test", actor="test", origins=["https://a.example"])
    with instance.client() as client:
        for key in (secret, publishable):
            for header in ({"Authorization": f"Bearer {key}"}, {"Cookie": f"attunio_admin={key}"}):
                answer = client.get("/admin/api/apps", headers=header)
                assert answer.status_code == 401 and answer.json()["error"]["code"] == "session_required"
            answer = client.post("/admin/api/session", json={"token": key})
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_admin_token"


def test_a_change_from_another_origin_is_refused(console: Console) -> None:
    for origin in ("https://evil.example", "null", "http://appliance.test"):
        answer = console.change("POST", "/admin/api/apps", {"name": "EHR"}, headers={"Origin": origin})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed", origin
    answer = console.change("POST", "/admin/api/apps", {"name": "EHR"}, headers={"Origin": BASE_URL})
    assert answer.status_code == 201, answer.text


def test_sign_in_from_another_origin_is_refused(instance: Instance) -> None:
    with instance.client() as client:
        answer = client.post("/admin/api/session", json={"token": instance.tokens["admin"]},
                             headers={"Origin": "https://evil.example"})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "csrf_failed"


def test_failed_sign_ins_are_throttled_per_address(instance: Instance) -> None:
    wrong = {"token": "att_admin_" + "x" * 36}
    sessions = instance.app.app.state.runtime.sessions
    with instance.client() as client:
        for _ in range(5):
            assert client.post("/admin/api/session", json=wrong).status_code == 401
        answer = client.post("/admin/api/session", json={"token": instance.tokens["admin"]})
        assert answer.status_code == 429 and answer.json()["error"]["code"] == "too_many_attempts"
        assert answer.headers["retry-after"] == "900"
        # Another client address is not held back by these failures.
        _, cookie = sessions.sign_in(instance.tokens["admin"], "10.1.2.3")
        ISSUED_SECRETS.add(cookie)
        instance.clock.advance(minutes=10)
        assert client.post("/admin/api/session", json=wrong).headers["retry-after"] == "300"
        instance.clock.advance(minutes=5)
        assert client.post("/admin/api/session", json={"token": instance.tokens["admin"]}).status_code == 200


def test_every_worker_counts_the_same_failures(instance: Instance) -> None:
    """Two apps on two connections to one store file, as two worker processes have."""
    from litestar.testing import TestClient

    from attunio.api.app import create_app
    from attunio.store import Store

    second_store = Store.open(instance.settings)
    second = create_app(instance.settings, second_store, instance.clock)
    wrong = {"token": "att_admin_" + "x" * 36}
    with instance.client() as one, TestClient(second, base_url=BASE_URL) as two:
        for client in (one, two, one, two, one):
            assert client.post("/admin/api/session", json=wrong).status_code == 401
        for client in (one, two):
            answer = client.post("/admin/api/session", json={"token": instance.tokens["admin"]})
            assert answer.status_code == 429, answer.text
    second_store.close()


def test_a_session_is_the_same_in_every_worker(instance: Instance, console: Console) -> None:
    from litestar.testing import TestClient

    from attunio.api.app import create_app
    from attunio.store import Store

    second_store = Store.open(instance.settings)
    with TestClient(create_app(instance.settings, second_store, instance.clock), base_url=BASE_URL) as two:
        two.cookies.set("attunio_admin", console.client.cookies["attunio_admin"])
        assert two.get("/admin/api/session").json()["csrfToken"] == console.csrf
        assert two.delete("/admin/api/session", headers={"X-CSRF-Token": console.csrf}).status_code == 204
    assert console.get("/admin/api/session").status_code == 401
    second_store.close()
