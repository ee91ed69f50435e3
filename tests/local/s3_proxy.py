"""A fault-injecting HTTP proxy in front of the moto S3 server, on 127.0.0.1.

kmock-style fault injection does not exist for moto, so the faults are injected
on the wire: the trainer's boto3 talks to this proxy (`AWS_ENDPOINT_URL`), which
forwards every request to moto unless a rule answers it first. A rule sees the
method and path and may answer an error (500 InternalError, 503 SlowDown), delay
the request, or hold it until the test releases it.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

_ERRORS = {
    500: ("InternalError", "We encountered an internal error. Please try again."),
    503: ("SlowDown", "Please reduce your request rate."),
}


@dataclass
class Rule:
    """Answer `status` (or hold, or delay) for the first `times` requests that match."""

    matches: Callable[[str, str], bool]
    status: int | None = None
    delay: float = 0.0
    hold: threading.Event | None = None
    times: int = 1
    hits: list[str] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.rules: list[Rule] = []
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and `Expect: 100-continue`, like S3

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rule = proxy._rule_for(self.command, self.path)
                if rule is not None:
                    if rule.hold is not None:
                        rule.held.set()
                        rule.hold.wait(60)
                        self.close_connection = True
                        return
                    time.sleep(rule.delay)
                    if rule.status is not None:
                        proxy._record(self.command, self.path, rule.status)
                        return self._error(rule.status)
                status, headers, data = proxy._forward(self.command, self.path, self.headers, body)
                proxy._record(self.command, self.path, status)
                self.send_response_only(status)
                for key, value in headers:
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _error(self, status: int) -> None:
                code, message = _ERRORS[status]
                data = (
                    f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
                    f"<Message>{message}</Message></Error>"
                ).encode()
                self.send_response_only(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for rule in self.rules:
            if rule.hold is not None:
                rule.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def add(self, rule: Rule) -> Rule:
        self.rules.append(rule)
        return rule

    def _rule_for(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if len(rule.hits) < rule.times and rule.matches(method, path):
                    rule.hits.append(f"{method} {path}")
                    return rule
        return None

    def _record(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def _forward(self, method, path, headers, body) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            skip = {"expect", "connection", "transfer-encoding"}
            out = {k: v for k, v in headers.items() if k.lower() not in skip}
            conn.request(method, path, body=body, headers=out)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()
