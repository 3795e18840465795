"""The deployment running for the tests: gunicorn serving the app with the production settings on the test database,
behind real nginx from deploy/nginx/aiguillage.conf (deploy/tests/harness.py), and an HTTPS client for it that can
present a client certificate and forge headers."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from deploy.tests import harness
from deploy.tests.pki import Pki

# The entry of AIGUILLAGE_FHIR_ALLOWED_SUBJECTS: the allowed certificate's subject holds these attributes and more.
ALLOWED_ENTRY = "CN=plateforme-sas.test,OU=SAS"
# gunicorn prints, for each request, the headers that reached it ("-": none).
ACCESS_FORMAT = "%(r)s %(s)s verify=%({x-ssl-client-verify}i)s dn=%({x-ssl-client-s-dn}i)s real-ip=%({x-real-ip}i)s"
ACCESS_FORMAT += " proto=%({x-forwarded-proto}i)s"


@dataclass(frozen=True)
class Deployment:
    pki: Pki
    site: harness.NginxSite
    static_root: Path
    gunicorn_log: Path


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def database_url() -> str:
    """The test database, as gunicorn must reach it."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def start_gunicorn(folder: Path, sockets: list[Path], https_port: int, static_root: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AIGUILLAGE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="aiguillage.settings.prod",
        DATABASE_URL=database_url(),
        AIGUILLAGE_SECRET_KEY="test-only-deployment-" + "k" * 40,
        AIGUILLAGE_ACCESS_LOG_KEY="test-only-access-log-key-" + "a" * 16,
        AIGUILLAGE_ALLOWED_HOSTS=harness.SERVER_NAME,
        AIGUILLAGE_CSRF_TRUSTED_ORIGINS=f"https://{harness.SERVER_NAME}:{https_port}",
        AIGUILLAGE_BASE_URL=f"https://{harness.SERVER_NAME}:{https_port}",
        AIGUILLAGE_EMAIL_URL="consolemail://",
        AIGUILLAGE_CLIENT_IP_HEADER="HTTP_X_REAL_IP",
        AIGUILLAGE_FHIR_ALLOWED_SUBJECTS=ALLOWED_ENTRY,
        AIGUILLAGE_FHIR_SAS_SUBJECTS=ALLOWED_ENTRY,
        AIGUILLAGE_STATIC_ROOT=str(static_root),
        AIGUILLAGE_CONN_MAX_AGE="0",  # nothing left connected to the test database once gunicorn stops
        AIGUILLAGE_LOG_LEVEL="WARNING",
    )
    binds = [argument for path in sockets for argument in ("--bind", f"unix:{path}")]
    log = folder / "gunicorn-access.log"
    # --no-control-socket, as the unit: else gunicorn opens one in ~/.gunicorn/, shared by two runs at once.
    options = ["--workers", "2", "--preload", "--no-control-socket"]
    logging = ["--access-logfile", str(log), "--access-logformat", ACCESS_FORMAT, "--chdir", str(settings.BASE_DIR)]
    output = folder / "gunicorn.log"
    process = harness.spawn(
        [sys.executable, "-m", "gunicorn", "aiguillage.wsgi", *binds, *options, *logging],
        output,
        env,
    )
    # --preload: the app (aiguillage.wsgi, which warms the views up) is imported once, before the sockets exist (the
    # unit lets each process import it, so that a reload takes new code): here the sockets' existence means ready, and
    # the two processes share one import.
    try:
        harness.wait_until(lambda: all(path.exists() for path in sockets), process, "gunicorn", output, seconds=90)
    except RuntimeError:
        harness.stop(process)
        raise
    return process


def https(
    deployment: Deployment,
    path: str,
    *,
    cert: tuple[Path, Path] | None = None,
    headers: dict[str, str] | None = None,
    server_name: str = harness.SERVER_NAME,
    method: str = "GET",
    body: bytes | None = None,
) -> Answer:
    context = ssl.create_default_context(cafile=str(deployment.pki.server_ca))
    if cert:
        context.load_cert_chain(*cert)
    raw = socket.create_connection(("127.0.0.1", deployment.site.https_port), timeout=30)
    with raw, context.wrap_socket(raw, server_hostname=server_name) as tls:
        connection = http.client.HTTPConnection(server_name, deployment.site.https_port, timeout=30)
        connection.sock = tls
        connection.request(method, path, body, headers={"Accept": "application/fhir+json", **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())


def arrived(deployment: Deployment, marker: str) -> str:
    """gunicorn's access-log line of the request whose path holds `marker` (written just after the answer)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in deployment.gunicorn_log.read_text().splitlines():
            if marker in line:
                return line
        time.sleep(0.05)
    raise AssertionError(f"no request with {marker} reached gunicorn")


def probe(path: str) -> tuple[str, str]:
    marker = uuid.uuid4().hex
    return f"{path}{'&' if '?' in path else '?'}probe={marker}", marker
