"""Prometheus metrics of one service process: requests, inspection latency, anomaly rate and alerts."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ServiceMetrics:
    """The metrics, in a registry of their own (so several apps in one process do not clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "aoikit_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "aoikit_inspection_seconds",
            "Time from taking a frame in to storing its result (waiting for the model included)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inspections = Counter(
            "aoikit_inspections", "Frames inspected and stored", ["decision"], registry=self.registry
        )
        self.anomaly_rate = Gauge(
            "aoikit_anomaly_rate",
            "Share of anomalous frames in the rate alert's window, per camera",
            ["camera"],
            registry=self.registry,
        )
        self.expected_rate = Gauge(
            "aoikit_expected_anomaly_rate", "Share of anomalous frames expected on good parts", registry=self.registry
        )
        self.alerts = Counter("aoikit_alerts", "Alerts raised by this process", ["kind"], registry=self.registry)

    def exposition(self) -> bytes:
        """The metrics in Prometheus text format."""
        return generate_latest(self.registry)


class CountRequests:
    """ASGI middleware: counts each HTTP answer by method, route template and status in ``metrics.requests``.

    Plain ASGI rather than ``@app.middleware``: that wraps every request in extra tasks and streams, about a
    millisecond a request on two cores.
    """

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
