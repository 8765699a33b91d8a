"""Prometheus metrics of one server process, in a registry of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector


class _StoreCollector(Collector):
    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        now = self.stats()
        operations = CounterMetricFamily(
            "hypee_store_operations",
            "Embedded store operations run, by kind (read or write).",
            labels=["kind"],
        )
        operations.add_metric(["read"], now["reads"])
        operations.add_metric(["write"], now["writes"])
        yield operations
        yield CounterMetricFamily(
            "hypee_store_commits",
            "Embedded store commits: each made every write before it durable (group commit).",
            value=now["commits"],
        )


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Request counts and latencies by route, and the health of each backing component."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.requests = Counter(
            "hypee_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hypee_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.component_up = Gauge(
            "hypee_component_up",
            "1 when the backing component answers, 0 when it does not (absent when disabled).",
            ["component"],
            registry=self.registry,
        )
        self.websocket_connections = Gauge(
            "hypee_websocket_connections",
            "Authenticated WebSocket connections open on this process.",
            registry=self.registry,
        )
        self.slow_socket_closes = Counter(
            "hypee_websocket_slow_closes",
            "Sockets closed with 1013 because their outgoing buffer overflowed.",
            registry=self.registry,
        )
        self.messages_stored = Counter(
            "hypee_messages_stored",
            "Messages stored by this process (REST and WebSocket sends; replays excluded).",
            registry=self.registry,
        )

        self.sends_shed = Counter(
            "hypee_sends_shed",
            "Sends refused with 503 busy because HYPEE_MAX_SENDS_IN_FLIGHT were in flight.",
            registry=self.registry,
        )
        self.outbox_deliveries = Counter(
            "hypee_outbox_deliveries",
            "Emails and pushes handed over (sent), to try again (retried) or given up (failed), "
            "by channel (email or push).",
            ["channel", "outcome"],
            registry=self.registry,
        )

    def watch_store(self, stats: Callable[[], dict[str, int]]) -> None:
        """Export the embedded engine's counters: operations by kind, and commits (each one
        fsync that made a group of writes durable)."""
        self.registry.register(_StoreCollector(stats))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)
