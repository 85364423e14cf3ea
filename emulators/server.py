"""Serve an emulator's WSGI application on 127.0.0.1 in a background thread.

HTTP/1.1 with keep-alive, as Stripe and PayPal answer: the SDKs keep a connection per thread and
reuse it, so a charge does not pay a TCP connect and a new thread here. One thread per
connection (the SDKs retry and poll concurrently), a fixed per-request latency for benchmarks
(`latency_seconds`), and the two faults that need the socket itself: `timeout` (hold the answer)
and `reset` (close the connection without answering).

An answer whose length is not known up front (a streamed body) closes its connection after it,
and `stop()` closes the connections clients still keep, so a client's pool never talks to a
stopped emulator."""
from __future__ import annotations

import io
import socket
import threading
import time
from socketserver import ThreadingMixIn
from typing import Callable
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

_HANDLER = "smartpay.emulator.request_handler"


class DropConnection(Exception):
    """Raised by an emulator's WSGI app: close the socket without sending an answer (`reset`)."""


class _KeepAliveAnswer(ServerHandler):
    """wsgiref's answer, as HTTP/1.1: `Connection: close` when the connection ends after it."""
    http_version = "1.1"

    def cleanup_headers(self):
        super().cleanup_headers()   # adds Content-Length when the body is one block
        if "Content-Length" not in self.headers:   # the client could only find the end by EOF
            self.request_handler.close_connection = True
        if self.request_handler.close_connection:
            self.headers["Connection"] = "close"


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer, sent at once: wsgiref writes the status line, each header and the body
    # separately, and Nagle would hold the later writes for the client's delayed ACK.
    disable_nagle_algorithm = True
    wbufsize = -1

    def log_message(self, format, *args):  # noqa: A002 — the stdlib's name
        pass

    def setup(self):
        super().setup()
        self.server.open_connections.add(self.connection)

    def finish(self):
        self.server.open_connections.discard(self.connection)
        super().finish()

    def handle(self):
        """Answer requests on this connection until the client closes it or asks to."""
        self.close_connection = True
        self._answer_one()
        while not self.close_connection:
            self._answer_one()

    def _answer_one(self):
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:   # the client closed the connection
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():   # it answered the error and set close_connection
            return
        environ = self.get_environ()
        environ["REMOTE_PORT"] = str(self.client_address[1])   # CGI's; wsgiref leaves it out
        environ[_HANDLER] = self
        # The body is read here, whole, whatever the app reads of it: the next request on this
        # connection starts right after it.
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            body = self.rfile
        else:
            lengths = self.headers.get_all("Content-Length") or ["0"]
            if len(lengths) > 1 or not lengths[0].strip().isdigit():
                # Where this request ends is unknown: answer, and read nothing more from here.
                self.send_error(400, "Bad Content-Length")
                self.close_connection = True
                return
            length = int(lengths[0])
            body = io.BytesIO(self.rfile.read(length) if length else b"")
        if self.command == "HEAD":   # wsgiref would send the body too: the connection ends after it
            self.close_connection = True
        answer = _KeepAliveAnswer(body, self.wfile, self.get_stderr(), environ, multithread=False)
        answer.request_handler = self
        answer.run(self.server.get_app())
        if not self.close_connection:
            self.wfile.flush()

    def handle_expect_100(self):
        ok = super().handle_expect_100()   # writes "100 Continue" into the buffered stream…
        self.wfile.flush()                 # …which must reach the client before it sends the body
        return ok

    def drop(self) -> None:
        """End the connection without an answer (`reset`, and `timeout` after its hold)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, *args, **kwargs):
        self.open_connections: set[socket.socket] = set()
        super().__init__(*args, **kwargs)


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
            environ[_HANDLER].drop()
            # wsgiref's answer returns quietly on this one, without writing a 500.
            raise ConnectionAbortedError("connection dropped on purpose (reset fault)") from None

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"emulator:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for connection in list(self._server.open_connections):   # kept alive by clients
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
