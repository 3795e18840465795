"""The outbound HTTP client against real servers on loopback (http.server in a thread, HTTPS with a self-signed
certificate): what it sends, and each way a call fails turned into its error, with no secret in any message or log."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from common import outbound
from common.outbound import BadAnswer, Refused, Service, TimedOut, Unreachable
from tests.loopback import LoopbackHandler, LoopbackServer, self_signed

SECRET = "xkeysib-0123456789abcdef-SECRET"
PHONE = "33612345678"  # an invented patient's number, in a query string: never in a message either

Script = Callable[[LoopbackHandler], None]


def answer(status: int, body: bytes, content_type: str = "application/json", **headers: str) -> Script:
    def write(handler: LoopbackHandler) -> None:
        handler.send_body(
            status, body, content_type, **{name.replace("_", "-"): value for name, value in headers.items()}
        )

    return write


class RecordingHandler(LoopbackHandler):
    def _handle(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        fake.calls.append(
            {
                "method": self.command,
                "path": parts.path,
                "query": parse_qs(parts.query),
                "headers": dict(self.headers),
                "body": self.read_body(),
            }
        )
        try:
            fake.scripts.get(parts.path, fake.script)(self)
        except OSError:  # the client gave up waiting
            self.close_connection = True

    do_GET = do_POST = do_PUT = _handle


class Loopback:
    """A server that records each call and answers it with `script` (by default a JSON object); `scripts` by path."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.script: Script = answer(200, b'{"ok": true}')
        self.scripts: dict[str, Script] = {}
        self.server = LoopbackServer(RecordingHandler, self, tls=tls).start()
        self.url = self.server.url

    def close(self) -> None:
        self.server.stop()


@pytest.fixture
def server() -> Iterator[Loopback]:
    fake = Loopback()
    yield fake
    fake.close()


def service(**changes: Any) -> Service:
    return Service(purpose="tests", timeout=changes.pop("timeout", 2.0), **changes)


def test_a_json_answer_is_read_and_the_call_names_aiguillage(server: Loopback) -> None:
    server.script = answer(200, json.dumps({"features": [1, 2]}).encode())
    assert service().get_json(f"{server.url}/search", params={"q": "12 rue de la Gare", "limit": "5"}) == {
        "features": [1, 2]
    }
    [call] = server.calls
    assert (call["method"], call["path"], call["query"]) == (
        "GET",
        "/search",
        {"q": ["12 rue de la Gare"], "limit": ["5"]},
    )
    assert call["headers"]["User-Agent"] == "Aiguillage (tests)"
    assert call["headers"]["Accept"] == "application/json"


def test_json_is_sent_with_its_content_type_and_a_2xx_is_an_answer(server: Loopback) -> None:
    server.script = answer(201, b"{}", "application/fhir+json")
    sent = service().send_json(
        "PUT", f"{server.url}/fhir/Appointment", {"status": "booked"}, content_type="application/fhir+json"
    )
    assert sent.status == 201 and sent.json() == {}
    [call] = server.calls
    assert call["method"] == "PUT" and json.loads(call["body"]) == {"status": "booked"}
    assert call["headers"]["Content-Type"] == call["headers"]["Accept"] == "application/fhir+json"


def test_no_answer_within_the_timeout_is_a_timeout_after_the_request_left(server: Loopback) -> None:
    slow = answer(200, b"{}")
    server.script = lambda handler: (time.sleep(2.0), slow(handler))  # type: ignore[func-returns-value]
    started = time.monotonic()
    with pytest.raises(TimedOut) as caught:
        service(timeout=0.3).get_json(server.url)
    assert time.monotonic() - started < 1.5  # the 0.3 s timeout, not the 2 s answer
    assert caught.value.request_sent is True  # the server may have acted on it
    assert str(caught.value) == f"127.0.0.1:{server.server.server_port}: no answer within 0.3 s"


def test_a_port_nobody_listens_on_is_unreachable_before_the_request_left() -> None:
    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Unreachable) as caught:
        service().get_json(f"http://127.0.0.1:{port}/search")
    assert not isinstance(caught.value, TimedOut)
    assert caught.value.request_sent is False  # the server cannot have acted on it
    assert str(caught.value) == f"127.0.0.1:{port}: connection refused"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_refused_with_its_status_and_the_start_of_its_answer(server: Loopback, status: int) -> None:
    body = "Try again later. " + "x" * 2000
    server.script = answer(status, body.encode(), "text/plain")
    with pytest.raises(Refused) as caught:
        service().get_json(server.url)
    assert caught.value.status == status
    assert caught.value.excerpt == body[: outbound.EXCERPT_CHARS]
    assert str(caught.value).startswith(f"HTTP {status}: Try again later. xxx")


def test_a_refusal_of_the_request_keeps_its_reason(server: Loopback) -> None:
    server.script = answer(400, b'{"code": "invalid_parameter", "message": "Invalid phone number"}')
    with pytest.raises(Refused) as caught:
        service().send_json("POST", f"{server.url}/send", {"recipient": "0"})
    assert caught.value.status == 400 and "Invalid phone number" in caught.value.excerpt


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b"", b'{"cut": ', b"\xff\xfe"])
def test_an_answer_that_is_not_json_is_a_bad_answer(server: Loopback, body: bytes) -> None:
    server.script = answer(200, body, "text/html")
    with pytest.raises(BadAnswer, match="not JSON"):
        service().get_json(server.url)


def test_an_answer_larger_than_the_limit_is_a_bad_answer(server: Loopback) -> None:
    server.script = answer(200, json.dumps({"features": ["x" * 500]}).encode())
    with pytest.raises(BadAnswer, match="larger than 100 bytes"):
        service(max_bytes=100).get_json(server.url)
    assert service(max_bytes=1000).get_json(server.url) == {"features": ["x" * 500]}


def _closed_unanswered(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True


def _status_line_cut(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"HTTP/1.1 20")
    handler.close_connection = True


def _body_cut(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id": 1')
    handler.close_connection = True


@pytest.mark.parametrize(
    "script", [_closed_unanswered, _status_line_cut, _body_cut], ids=["closed unanswered", "status cut", "body cut"]
)
def test_an_answer_lost_after_the_request_left_says_the_server_may_have_acted(server: Loopback, script: Script) -> None:
    server.script = script
    with pytest.raises(Unreachable) as caught:
        service().send_json("POST", f"{server.url}/send", {"content": "RDV"})
    assert not isinstance(caught.value, TimedOut) and caught.value.request_sent is True
    assert len(server.calls) == 1  # never sent a second time behind the caller's back


def test_redirects_are_not_followed_unless_asked(server: Loopback) -> None:
    server.script = answer(302, b"", Location="/elsewhere")
    server.scripts["/elsewhere"] = answer(200, b'{"moved": true}')
    with pytest.raises(Refused) as caught:
        service().get_json(f"{server.url}/search", headers={"api-key": SECRET})
    assert caught.value.status == 302 and [c["path"] for c in server.calls] == ["/search"]
    assert service(follow_redirects=True).get_json(f"{server.url}/search") == {"moved": True}


# --- TLS ---------------------------------------------------------------------------------------------------------


def test_certificates_are_always_verified() -> None:
    assert service().verify() is True
    assert service(ca_bundle="/etc/aiguillage/sas-ca.pem").verify() == "/etc/aiguillage/sas-ca.pem"
    assert service(client_cert="/c.pem", client_key="/k.pem").cert() == ("/c.pem", "/k.pem")
    assert service(client_cert="/both.pem").cert() == "/both.pem" and service().cert() is None


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[Loopback, Path]]:
    """An HTTPS server on loopback with a self-signed certificate for 127.0.0.1, and the file of that certificate."""
    context, cert_file = self_signed(tmp_path, "aiguillage-test-loopback")
    fake = Loopback(tls=context)
    yield fake, cert_file
    fake.close()


def test_a_certificate_no_trusted_authority_signed_is_refused_before_anything_is_sent(
    https_server: tuple[Loopback, Path],
) -> None:
    fake, _cert = https_server
    with pytest.raises(Unreachable) as caught:
        service().get_json(f"{fake.url}/search", headers={"api-key": SECRET})
    assert caught.value.request_sent is False and "TLS failed (CERTIFICATE_VERIFY_FAILED)" in str(caught.value)
    assert fake.calls == []  # the key never left


def test_the_authority_named_in_the_settings_is_trusted(https_server: tuple[Loopback, Path]) -> None:
    # The environment may name a bundle of its own (REQUESTS_CA_BUNDLE): the service's file still wins.
    fake, cert = https_server
    assert service(ca_bundle=str(cert)).get_json(f"{fake.url}/search") == {"ok": True}
    assert [c["path"] for c in fake.calls] == ["/search"]


# --- secrets -----------------------------------------------------------------------------------------------------


def _echo_everything(handler: BaseHTTPRequestHandler) -> None:
    # The key written back twice, the second time across the excerpt's end.
    key = handler.headers["api-key"]
    padding = "." * (outbound.EXCERPT_CHARS - len("Unauthorized key ") - len(key) - 1 - 5)
    answer(401, f"Unauthorized key {key} {padding}{key}".encode(), "text/plain")(handler)


def _slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(1.0)


@pytest.mark.parametrize(
    ("script", "error"),
    [
        (_echo_everything, Refused),
        (_slow, TimedOut),
        (_closed_unanswered, Unreachable),
        (_body_cut, Unreachable),
        (answer(200, b"<html>not json</html>", "text/html"), BadAnswer),
    ],
    ids=["refused, the key written back", "timed out", "closed", "cut off", "not json"],
)
def test_no_secret_nor_what_was_asked_appears_in_a_message_or_a_log(
    server: Loopback, caplog: pytest.LogCaptureFixture, script: Script, error: type[Exception]
) -> None:
    server.script = script
    caplog.set_level(logging.DEBUG)
    with pytest.raises(error) as caught:
        service(timeout=0.3).get_json(
            f"{server.url}/v3/transactionalSMS/statistics/events",
            params={"tags": "message-key-42", "phoneNumber": PHONE},
            headers={"api-key": SECRET},
        )
    assert server.calls[0]["headers"]["api-key"] == SECRET  # it was sent, to the server only
    told = f"{caught.value} {caught.value!r} {caplog.text}"
    for private in (SECRET, PHONE, "message-key-42", "/v3/transactionalSMS"):
        assert private not in told
    if isinstance(caught.value, Refused):
        assert caught.value.excerpt.startswith("Unauthorized key *** ...") and caught.value.excerpt.endswith("***")
    else:
        assert f"127.0.0.1:{server.server.server_port}: " in str(caught.value)  # which service failed
