"""The Prometheus text (or OpenMetrics) page of one scrape, written by `prometheus_client`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from attunio.metrics.counters import BUCKETS, Layout, totals
from attunio.metrics.state import Gauge


class _Scrape(Collector):
    def __init__(self, folder: Path, layout: Layout, gauges: list[Gauge]) -> None:
        self.folder, self.layout, self.gauges = folder, layout, gauges

    def collect(self) -> Iterator[Metric]:
        by_endpoint = totals(self.folder, self.layout)
        requests = CounterMetricFamily("attunio_http_requests", "Answered HTTP requests by endpoint and status.",
                                       labels=["endpoint", "status"])
        latency = HistogramMetricFamily("attunio_http_request_duration_seconds",
                                        "Time from a request's arrival to its answer, by endpoint.",
                                        labels=["endpoint"])
        for endpoint, counted in by_endpoint.items():
            for status, n in counted.statuses.items():
                requests.add_metric([endpoint, str(status)], n)
            cumulative, running = [], 0
            for bound, n in zip([*map(str, BUCKETS), "+Inf"], counted.buckets, strict=True):
                running += n
                cumulative.append((bound, running))
            latency.add_metric([endpoint], cumulative, counted.sum_ms / 1000)
        yield requests
        yield latency
        for gauge in self.gauges:
            labels = sorted({name for sample_labels, _ in gauge.samples for name in sample_labels})
            family = GaugeMetricFamily(gauge.name, gauge.help, labels=labels)
            for sample_labels, value in gauge.samples:
                family.add_metric([sample_labels[name] for name in labels], value)
            yield family


def render(folder: Path, layout: Layout, gauges: list[Gauge], accept: str | None) -> tuple[bytes, str]:
    """The page and its content type: OpenMetrics when the scraper asks for it, else text 0.0.4."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(folder, layout, gauges))
    encoder: Any
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
