"""The deployment's nginx configuration, running: real nginx from deploy/nginx/aiguillage.conf (rendered by
deploy/render.py for loopback ports) in front of real gunicorn serving the app with the production settings on the
test database, with a throwaway IGC-Santé-like authority (deploy/tests/pki.py) for the mutual TLS of /fhir/.

What it proves: the allowed subject's certificate reaches the FHIR server; no certificate, an unknown subject, and a
certificate of another authority are refused; the client-certificate headers a client forges never reach the app
(nginx overwrites them on /fhir/ and blanks them elsewhere: gunicorn's access log, set to print them, says what
arrived); HTTP redirects to HTTPS; nginx serves the static files with their cache headers; other host names get no
answer. One nginx and one gunicorn (2 workers) for the whole module, stopped at its end whatever happens.

Runs once, on PostgreSQL (make test-postgres), as the browser journeys do: it tests the deployment, which is the same
on both passes. A missing nginx fails the test with the command that installs it, it never skips."""

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from deploy.tests import harness
from deploy.tests.pki import ALLOWED_SUBJECT, UNKNOWN_SUBJECT, Pki, make_pki

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)"),
]

# The entry of AIGUILLAGE_FHIR_ALLOWED_SUBJECTS: the allowed certificate's subject holds these attributes and more.
ALLOWED_ENTRY = "CN=plateforme-sas.test,OU=SAS"
SLOT_SEARCH = (
    "/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor&start=ge2026-12-01&start=le2026-12-02"
    "&schedule.actor:Practitioner.identifier=urn:oid:1.2.250.1.71.4.2.1|810000000001&status=free"
)
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
    logging = ["--access-logfile", str(log), "--access-logformat", ACCESS_FORMAT, "--chdir", str(settings.BASE_DIR)]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "aiguillage.wsgi", *binds, "--workers", "2", "--preload", *logging],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    # --preload: the app (aiguillage.wsgi, which warms the views up) is imported once, before the sockets exist (the
    # unit lets each process import it, so that a reload takes new code): here the sockets' existence means ready, and
    # the two processes share one import.
    harness.wait_until(lambda: all(path.exists() for path in sockets), process, "gunicorn", seconds=90)
    return process


@pytest.fixture(scope="module")
def deployment(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    harness.require_nginx()
    folder = tmp_path_factory.mktemp("deployment")
    pki = make_pki(folder / "pki", harness.SERVER_NAME)
    static_root = folder / "static"
    (static_root / "css").mkdir(parents=True)
    (static_root / "notice.txt").write_text("collected by collectstatic\n")
    (static_root / "css" / "app.3f2a9b8c1d4e.css").write_text("body { color: black; }\n")
    sockets = [folder / "web-1.sock", folder / "web-2.sock"]
    site = harness.render_site(folder / "nginx", pki, static_root, [f"unix:{path}" for path in sockets])
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(start_gunicorn(folder, sockets, site.https_port, static_root))
        processes.append(harness.start_nginx(site))
        yield Deployment(pki, site, static_root, folder / "gunicorn-access.log")
    finally:
        for process in reversed(processes):
            harness.stop(process)


def https(
    deployment: Deployment,
    path: str,
    *,
    cert: tuple[Path, Path] | None = None,
    headers: dict[str, str] | None = None,
    server_name: str = harness.SERVER_NAME,
) -> Answer:
    context = ssl.create_default_context(cafile=str(deployment.pki.server_ca))
    if cert:
        context.load_cert_chain(*cert)
    raw = socket.create_connection(("127.0.0.1", deployment.site.https_port), timeout=30)
    with raw, context.wrap_socket(raw, server_hostname=server_name) as tls:
        connection = http.client.HTTPConnection(server_name, deployment.site.https_port, timeout=30)
        connection.sock = tls
        connection.request("GET", path, headers={"Accept": "application/fhir+json", **(headers or {})})
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


FORGED = {
    "X-SSL-Client-Verify": "SUCCESS",
    "X-SSL-Client-S-DN": ALLOWED_SUBJECT,
    "X-Real-IP": "203.0.113.66",
    "X-Forwarded-Proto": "http",
}


def test_the_allowed_subjects_certificate_gets_the_slot_search_bundle(deployment: Deployment) -> None:
    answer = https(deployment, SLOT_SEARCH, cert=deployment.pki.allowed)
    assert answer.status == 200, answer.body[:500]
    assert answer.headers["Content-Type"].startswith("application/fhir+json")
    bundle = answer.json()
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 0)


def test_an_unknown_subject_verified_by_nginx_is_refused_by_the_app(deployment: Deployment) -> None:
    answer = https(deployment, SLOT_SEARCH, cert=deployment.pki.unknown)
    assert answer.status == 403
    assert answer.json()["resourceType"] == "OperationOutcome"  # the app's refusal: nginx let it through


def test_without_a_certificate_nginx_refuses_fhir_before_the_app(deployment: Deployment) -> None:
    path, marker = probe("/fhir/metadata")
    answer = https(deployment, path)
    assert answer.status == 403
    assert b"<html>" in answer.body  # nginx's page, not an OperationOutcome
    assert marker not in deployment.gunicorn_log.read_text()


def test_a_certificate_from_another_authority_is_refused_by_nginx_everywhere(deployment: Deployment) -> None:
    # Same subject as the allowed one; only its issuer differs. `ssl_verify_client optional` lets the handshake end,
    # then nginx answers its own 400 on every address (nginx's 495 "certificate error" status, shown as 400).
    for path in (SLOT_SEARCH, "/"):
        answer = https(deployment, path, cert=deployment.pki.foreign)
        assert answer.status == 400
        assert b"The SSL certificate error" in answer.body


def test_forged_certificate_headers_without_a_certificate_are_refused(deployment: Deployment) -> None:
    path, marker = probe(SLOT_SEARCH)
    answer = https(deployment, path, headers=FORGED)
    assert answer.status == 403 and b"<html>" in answer.body
    assert marker not in deployment.gunicorn_log.read_text()


def test_forged_headers_beside_an_unknown_certificate_are_overwritten_with_what_nginx_verified(
    deployment: Deployment,
) -> None:
    path, marker = probe(SLOT_SEARCH)
    # The underscore spelling would reach Django as the same HTTP_X_SSL_CLIENT_S_DN: nginx drops such headers.
    forged = {**FORGED, "X_SSL_Client_S_DN": ALLOWED_SUBJECT}
    answer = https(deployment, path, cert=deployment.pki.unknown, headers=forged)
    assert answer.status == 403 and answer.json()["resourceType"] == "OperationOutcome"
    line = arrived(deployment, marker)
    assert f"verify=SUCCESS dn={UNKNOWN_SUBJECT} real-ip=127.0.0.1 proto=https" in line


def test_certificate_headers_never_reach_the_app_outside_fhir(deployment: Deployment) -> None:
    for cert in (None, deployment.pki.allowed):
        path, marker = probe("/")
        answer = https(deployment, path, cert=cert, headers=FORGED)
        # The app saw HTTPS (else it would redirect to https://) and no certificate header, forged or real.
        assert answer.status == 302 and answer.headers["Location"].startswith("/"), answer.headers
        assert "verify=- dn=- real-ip=127.0.0.1 proto=https" in arrived(deployment, marker)


def test_plain_http_redirects_to_https(deployment: Deployment) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", deployment.site.http_port, timeout=30)
    connection.request("GET", "/fhir/metadata?x=1", headers={"Host": harness.SERVER_NAME})
    response = connection.getresponse()
    assert response.status == 301
    assert response.headers["Location"] == f"https://localhost:{deployment.site.https_port}/fhir/metadata?x=1"


def test_nginx_serves_the_collected_static_files_with_cache_headers(deployment: Deployment) -> None:
    plain = https(deployment, "/static/notice.txt")
    assert (plain.status, plain.body) == (200, b"collected by collectstatic\n")  # not an app file: only nginx has it
    assert plain.headers["Cache-Control"] == "public, max-age=86400"
    assert plain.headers["X-Content-Type-Options"] == "nosniff"
    hashed = https(deployment, "/static/css/app.3f2a9b8c1d4e.css")
    assert (hashed.status, hashed.headers["Content-Type"]) == (200, "text/css")
    assert hashed.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    missing = https(deployment, "/static/css/missing.css")
    assert missing.status == 404 and b"nginx" in missing.body  # answered by nginx, not passed to the app


def test_another_host_name_gets_no_tls_handshake(deployment: Deployment) -> None:
    with pytest.raises(ssl.SSLError):
        https(deployment, "/", server_name="autre.example.org")
