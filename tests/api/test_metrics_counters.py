"""The request counters behind `/metrics`: what two workers counted adds up exactly, every path a
client can send lands on a bounded set of endpoint labels, and the histogram's buckets hold each
duration once."""

from __future__ import annotations

import bisect
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from attunio.api.app import create_app
from attunio.api.edge import access_log
from attunio.config import Settings
from attunio.metrics.counters import BUCKETS, UNROUTED, Layout, RequestCounters, reset, totals
from attunio.store import Store

ROUTES = ["/v1/ping", "/v1/dmse/analyze", "/healthz", "/sdk/{name:str}", "/demo"]
LAYOUT = Layout.of(ROUTES)
paths = st.sampled_from(["/v1/ping", "/v1/dmse/analyze", "/healthz", "/sdk/capture.js", "/sdk/att_sk_live_[redacted]",
                         "/v1/[unrouted]", "/[unrouted]", "/demo"])
answers = st.tuples(paths, st.sampled_from([200, 204, 400, 401, 404, 405, 413, 429, 500, 503]),
                    st.floats(min_value=0, max_value=20_000, allow_nan=False))


def label(path: str) -> str:
    if path in ROUTES:
        return path
    return "/sdk/{name:str}" if path.startswith("/sdk/") else UNROUTED


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(answers, st.booleans()), max_size=60))
def test_two_workers_counts_add_up_exactly(tmp_path_factory: object, observed: list[tuple[tuple[str, int, float], bool]]
                                           ) -> None:
    folder = Path(tmp_path_factory.mktemp("metrics"))  # type: ignore[attr-defined]
    workers = [RequestCounters(folder, LAYOUT, name="1"), RequestCounters(folder, LAYOUT, name="2")]
    for (path, status, duration), second in observed:
        workers[second].observe({"path": path, "status": status, "duration_ms": duration})
    counted = totals(folder, LAYOUT)
    expected_status = Counter((label(p), s) for (p, s, _), _ in observed)
    assert {(e, s): n for e, t in counted.items() for s, n in t.statuses.items()} == expected_status
    for endpoint, t in counted.items():
        durations = [d for (p, _, d), _ in observed if label(p) == endpoint]
        expected = Counter(bisect.bisect_left([b * 1000 for b in BUCKETS], d) for d in durations)
        assert t.buckets == [expected.get(i, 0) for i in range(len(BUCKETS) + 1)]
        assert abs(t.sum_ms - sum(durations)) <= 1e-6 * max(1.0, sum(durations))
    assert set(counted) <= set(LAYOUT.endpoints)


def test_a_file_of_another_layout_is_left_out_and_reset_clears_the_folder(tmp_path: Path) -> None:
    RequestCounters(tmp_path / "metrics", LAYOUT, name="1").observe({"path": "/healthz", "status": 200,
                                                                     "duration_ms": 1.0})
    (tmp_path / "metrics" / "2.counts").write_bytes(b"\x01" * 64)
    assert totals(tmp_path / "metrics", LAYOUT)["/healthz"].statuses == {200: 1}
    reset(tmp_path)
    assert list((tmp_path / "metrics").iterdir()) == []


def test_the_access_log_counts_only_when_metrics_are_on(settings: Settings, store: Store, tmp_path: Path) -> None:
    create_app(settings, store)
    assert access_log.observer is None
    token = tmp_path / "token"
    token.write_text("t" * 40)
    on = settings.__class__(**{**{f: getattr(settings, f) for f in settings.__struct_fields__},
                               "metrics": settings.metrics.__class__(enabled=True, token_file=str(token))})
    create_app(on, store)
    assert access_log.observer is not None
    create_app(settings, store)
    assert access_log.observer is None
