"""The emulators' HTTP server: HTTP/1.1 keep-alive as the providers answer, without letting one
request's leftovers, a dropped answer or a stopped emulator leak into the next request."""
from __future__ import annotations

import http.client
import json
import socket

import pytest

from smartpay.emulators.server import DropConnection, EmulatorServer


def app(environ, start_response):
    """Answers JSON naming the client's port; /drop resets, /stream sends a body of unknown length."""
    path = environ["PATH_INFO"]
    if path == "/drop":
        raise DropConnection()
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (part for part in (b"one ", b"two"))
    body = json.dumps({"path": path, "client_port": environ["REMOTE_PORT"]}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@pytest.fixture
def server():
    with EmulatorServer(app) as running:
        yield running


def ask(connection, path, method="GET", body=None):
    connection.request(method, path, body=body)
    answer = connection.getresponse()
    return answer, answer.read()


def test_two_requests_share_one_connection(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    first, first_body = ask(connection, "/v1/one")
    second, second_body = ask(connection, "/v1/two")
    assert first.version == 11 and first.getheader("Connection") is None
    assert json.loads(first_body)["client_port"] == json.loads(second_body)["client_port"]
    assert json.loads(second_body)["path"] == "/v1/two"
    assert len(server._server.open_connections) == 1
    connection.close()


def test_a_body_the_app_does_not_read_does_not_spill_into_the_next_request(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    answer, _ = ask(connection, "/v1/ignores-its-body", "POST", b"GET /v1/smuggled HTTP/1.1\r\n\r\n")
    assert answer.status == 200
    _, body = ask(connection, "/v1/next")
    assert json.loads(body)["path"] == "/v1/next"
    connection.close()


def test_a_reset_drops_the_connection_and_the_next_request_gets_a_new_one(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    _, before = ask(connection, "/v1/before")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        ask(connection, "/drop")
    connection.close()
    _, after = ask(connection, "/v1/after")   # http.client reconnects
    assert json.loads(after)["client_port"] != json.loads(before)["client_port"]


def test_an_answer_of_unknown_length_closes_its_connection(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    answer, body = ask(connection, "/stream")
    assert body == b"one two" and answer.getheader("Connection") == "close" and answer.will_close


def test_stop_closes_the_connections_clients_keep(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    ask(connection, "/v1/one")
    server.stop()
    connection.sock.settimeout(5)
    assert connection.sock.recv(1) == b""   # EOF: a pool would see it dropped and not reuse it
    connection.close()


def raw_exchange(server, request: bytes, wait: float = 2.0) -> bytes:
    """Send raw bytes on a new connection; everything the server answers until it closes."""
    with socket.create_connection((server.host, server.port), timeout=wait) as sock:
        sock.sendall(request)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except socket.timeout:
            pass
    return answer


@pytest.mark.parametrize("length", [b"-1", b"abc", b"5\r\nContent-Length: 6"])
def test_a_bad_content_length_is_refused_and_the_connection_ends(server, length):
    smuggled = b"GET /v1/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = raw_exchange(server, b"POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + b"\r\n\r\n"
                          + smuggled)
    assert answer.startswith(b"HTTP/1.1 400") and answer.count(b"HTTP/1.1 ") == 1   # the body is never read


def test_expect_100_continue_is_answered_before_the_body_is_sent(server):
    with socket.create_connection((server.host, server.port), timeout=2) as sock:
        sock.sendall(b"POST /v1/x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(b"{}")
        assert b"200 OK" in sock.recv(1000)


def test_a_head_answer_ends_its_connection(server):
    # wsgiref sends the body with a HEAD answer: the connection must not carry another request.
    answer = raw_exchange(server, b"HEAD /v1/x HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/y HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.count(b"HTTP/1.1 ") == 1 and b"Connection: close" in answer
