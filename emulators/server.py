"""Serve an emulator's WSGI application on 127.0.0.1 in a background thread.

One thread per request (the SDKs retry and poll concurrently), a fixed per-request latency for
benchmarks (`latency_seconds`), and the two faults that need the socket itself: `timeout` (hold
the answer) and `reset` (close the connection without answering)."""
from __future__ import annotations

import socket
import threading
import time
from socketserver import ThreadingMixIn
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class DropConnection(Exception):
    """Raised by an emulator's WSGI app: close the socket without sending an answer (`reset`)."""


class _QuietHandler(WSGIRequestHandler):
    # One write per answer, sent at once. wsgiref writes the status line, each header and the body
    # separately; with Nagle on, the writes after the first waited for the client's delayed ACK,
    # which after a `latency_seconds` pause added ~2 ms to every answer (`make bench`).
    disable_nagle_algorithm = True
    wbufsize = -1

    def log_message(self, format, *args):  # noqa: A002 — the stdlib's name
        pass

    def get_environ(self):
        environ = super().get_environ()
        # wsgiref answers any exception from the app with a 500; `_wrapped` needs the socket to
        # drop the connection instead (DropConnection).
        environ["smartpay.emulator.connection"] = self.connection
        return environ

    def handle(self):
        try:
            super().handle()
        except DropConnection:
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class EmulatorServer:
    def __init__(self, app: Callable, host: str = "127.0.0.1", port: int = 0, latency_seconds: float = 0.0):
        self.latency_seconds = latency_seconds
        self._app = app
        self._server = make_server(host, port, self._wrapped, server_class=_ThreadingServer,
                                   handler_class=_QuietHandler)
        self.host, self.port = self._server.server_address[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _wrapped(self, environ, start_response):
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        try:
            return self._app(environ, start_response)
        except DropConnection:
            connection = environ.get("smartpay.emulator.connection")
            if connection is not None:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            # wsgiref's handler returns quietly on this one, without writing a 500.
            raise ConnectionAbortedError("connection dropped on purpose (reset fault)") from None

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
