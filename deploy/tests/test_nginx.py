"""The deployment's nginx configuration, running: real nginx from deploy/nginx/aiguillage.conf (rendered by
deploy/render.py for loopback ports) in front of real gunicorn serving the app with the production settings on the
test database, with a throwaway IGC-Santé-like authority (deploy/tests/pki.py) for the mutual TLS of /fhir/.

What it proves: the allowed subject's certificate reaches the FHIR server; no certificate, an unknown subject, and a
certificate of another authority are refused; the client-certificate headers a client forges never reach the app
(nginx overwrites them on /fhir/ and blanks them elsewhere: gunicorn's access log, set to print them, says what
arrived); HTTP redirects to HTTPS; nginx serves the static files with their cache headers; other host names get no
answer. One nginx and one gunicorn (2 workers) for the whole folder (conftest.py), stopped at its end whatever
happens.

Runs once, on PostgreSQL (make test-postgres), as the browser journeys do: it tests the deployment, which is the same
on both passes. A missing nginx fails the test with the command that installs it, it never skips."""

from __future__ import annotations

import http.client
import ssl

import pytest
from django.conf import settings

from deploy.tests import harness
from deploy.tests.pki import ALLOWED_SUBJECT, UNKNOWN_SUBJECT
from deploy.tests.stack import Deployment, arrived, https, probe

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not ON_POSTGRESQL, reason="runs once, on PostgreSQL (make test-postgres)"),
    # One pytest-xdist process runs them all, so that one nginx and one gunicorn start (make test: --dist loadgroup).
    pytest.mark.xdist_group("deployment"),
]

SLOT_SEARCH = (
    "/fhir/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor&start=ge2026-12-01&start=le2026-12-02"
    "&schedule.actor:Practitioner.identifier=urn:oid:1.2.250.1.71.4.2.1|810000000001&status=free"
)

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


def test_a_revoked_certificate_is_refused_by_nginx_everywhere(deployment: Deployment) -> None:
    # The allowed subject, issued by the right intermediate, valid: only its place on the intermediate's revocation
    # list (ssl_crl) sets it apart from the allowed certificate, which gets the bundle (above).
    path, marker = probe(SLOT_SEARCH)
    for where in (path, "/"):
        answer = https(deployment, where, cert=deployment.pki.revoked)
        assert answer.status == 400
        assert b"The SSL certificate error" in answer.body
    assert marker not in deployment.gunicorn_log.read_text()


def test_forged_certificate_headers_without_a_certificate_are_refused(deployment: Deployment) -> None:
    path, marker = probe(SLOT_SEARCH)
    answer = https(deployment, path, headers=FORGED)
    assert answer.status == 403 and b"<html>" in answer.body
    assert marker not in deployment.gunicorn_log.read_text()


def test_forged_headers_beside_an_unknown_certificate_are_overwritten_with_what_nginx_verified(
    deployment: Deployment,
) -> None:
    path, marker = probe(SLOT_SEARCH)
    # The underscore spelling would reach Django as the same HTTP_X_SSL_CLIENT_S_DN: nginx drops such headers (and
    # gunicorn would too: both layers hold).
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


def test_another_host_name_gets_no_tls_handshake_nor_an_http_answer(deployment: Deployment) -> None:
    with pytest.raises(ssl.SSLError):
        https(deployment, "/", server_name="autre.example.org")
    connection = http.client.HTTPConnection("127.0.0.1", deployment.site.http_port, timeout=30)
    connection.request("GET", "/", headers={"Host": "autre.example.org"})
    with pytest.raises(http.client.RemoteDisconnected):  # nginx's 444: the connection closed, no answer
        connection.getresponse()
    # Our name in the handshake, another in the request: the default server closes too (it served nginx's own root).
    with pytest.raises(http.client.RemoteDisconnected):
        https(deployment, "/", headers={"Host": "autre.example.org"})


def test_bodies_up_to_10_mb_reach_the_app_and_larger_ones_are_refused_by_nginx(deployment: Deployment) -> None:
    path, marker = probe("/connexion/")
    answer = https(deployment, path, method="POST", body=b"x" * (5 * 1024 * 1024))  # over nginx's default 1 MB
    assert answer.status != 413
    arrived(deployment, marker)
    path, marker = probe("/connexion/")
    # Only the headers are sent: nginx answers from the announced length, without waiting for the body.
    answer = https(deployment, path, method="POST", headers={"Content-Length": str(11 * 1024 * 1024)})
    assert answer.status == 413
    assert marker not in deployment.gunicorn_log.read_text()
