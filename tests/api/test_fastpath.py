"""The plain-ASGI engine path: same answers as the Litestar route, counts through group commit."""

from __future__ import annotations

from litestar.testing import TestClient
from tests.conftest import Keys

from attunio.api.services import Services

DMSE = "/v1/dmse/analyze"
BODY = {"responseLatencySeconds": 2.6, "speechRateWpm": 98}


def test_sandbox_call_is_counted_through_group_commit(client: TestClient, keys: Keys,  # type: ignore[type-arg]
                                                      services: Services) -> None:
    headers = {"Authorization": f"Bearer {keys.issue()}"}
    first = client.post(DMSE, json=BODY, headers=headers)
    second = client.post(DMSE, json=BODY, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert int(first.headers["x-ratelimit-remaining"]) - int(second.headers["x-ratelimit-remaining"]) == 1
    assert services.commits.writes == 2


def test_fast_path_and_litestar_route_answer_alike(client: TestClient, keys: Keys) -> None:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {keys.issue()}"}
    fast = client.post(DMSE, json=BODY, headers=headers)
    routed = client.post(DMSE + "/", json=BODY, headers=headers)  # not an exact match: Litestar serves it
    assert fast.status_code == routed.status_code == 200
    strip = ("request-id", "x-ratelimit-remaining", "date")
    assert {k: v for k, v in fast.headers.items() if k not in strip} == {
        k: v for k, v in routed.headers.items() if k not in strip}
    fast_data, routed_data = fast.json()["data"], routed.json()["data"]
    fast_data.pop("generatedAt"), routed_data.pop("generatedAt")
    assert fast_data == routed_data


def test_other_methods_still_get_the_routes_405(client: TestClient) -> None:  # type: ignore[type-arg]
    answer = client.get(DMSE)
    assert answer.status_code == 405
    assert answer.json()["error"]["code"] == "method_not_allowed"
