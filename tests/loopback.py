"""The plumbing of the fake servers the tests run on loopback (Brevo, the BAN, the SAS platform, Pro Santé Connect, the
outbound client's own tests): a server on a free port of 127.0.0.1 answering in a daemon thread, and a quiet handler
that answers JSON. What each fake says, and how it misbehaves, stays in the fake."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(directory: Path, name: str) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1, valid an hour, from an authority no system knows: the server's TLS
    context, and the certificate's file (for the client to trust it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{name}.pem", directory / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


class LoopbackServer(ThreadingHTTPServer):
    """A server on a free loopback port (HTTPS if given a TLS context), its handlers reaching `fake` as `self.fake`."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], fake: Any = None, *, tls: ssl.SSLContext | None = None
    ) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.fake = fake
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server_port}"
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self) -> Self:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler], fake: Any = None, *, tls: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serves `handler` on loopback while in the block; gives its base URL (`http://127.0.0.1:<port>`)."""
    server = LoopbackServer(handler, fake, tls=tls).start()
    try:
        yield server.url
    finally:
        server.stop()


class LoopbackHandler(BaseHTTPRequestHandler):
    """A fake's handler: logs nothing, reads and writes whole bodies."""

    server: LoopbackServer

    @property
    def fake(self) -> Any:
        return self.server.fake

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def answer_lost(self) -> bool:
        """The fake's `late` and `drop`, each for one request (then reset): waits `late` seconds before the answer; or,
        given `drop`, writes only those bytes of an answer and closes the connection (the request taken, its answer
        lost), and says so."""
        fake = self.fake
        late, fake.late = fake.late, 0.0
        if fake.drop is not None:
            self.wfile.write(fake.drop)
            fake.drop = None
            self.close_connection = True  # taken, and the connection lost before the answer
            return True
        time.sleep(late)
        return False

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def send_body(self, status: int, body: bytes, content_type: str = "application/json", **headers: str) -> None:
        """The whole answer, with its Content-Type, Content-Length and `headers`."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up waiting and closed the connection
            self.close_connection = True

    def send_json(self, status: int, data: Any, content_type: str = "application/json", **headers: str) -> None:
        self.send_body(status, json.dumps(data).encode(), content_type, **headers)
