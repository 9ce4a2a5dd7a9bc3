"""bench/load.py's load loop, against a tiny local server (seconds; `make bench` runs
the real thing against gunicorn and the national dataset)."""

import sys
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

from portfolio.paths import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))

import load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn's gthread workers

    def do_GET(self):
        body = b"ok" if self.path == "/ok" else b"no"
        self.send_response(200 if self.path == "/ok" else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_load_loop_counts_requests_latencies_and_errors():
    server = ThreadingHTTPServer((load.HOST, 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        good = load.Target("ok", "/ok", "session=x", None)
        bad = load.Target("bad", "/bad", None, "token")
        got, static = load.compare(port, good, good, 5, 30, 200)
        assert got["requests"] == static["requests"] == 400  # bounded by the limit
        assert got["errors"] == 0 and got["rps"] > 0
        assert 0 < got["p50"] <= got["p95"] <= got["p99"]
        failed = load.run_load(port, bad, 3, 30, 30)
        assert failed["errors"] == failed["requests"] == 30
    finally:
        server.shutdown()
        server.server_close()


def test_percentiles_interpolate():
    assert load.percentile([1, 2, 3, 4], 50) == 2.5
    assert load.percentile([5], 99) == 5
