"""deploy/check_tls.py, what nginx.service's drop-in runs before every start and reload: it accepts a good deployment
(and runs `nginx -t` on it), and refuses, with a message naming the file and the fault and without going further, a
server chain that does not verify, a key of another certificate, a client authority bundle that lacks its root, and
revocation lists nginx would fail every client with (one missing, or not signed by its authority); one expired or dated
ahead of the clock is a warning (it fails the FHIR clients only).
A missing nginx fails the test with the command that installs it, it never skips."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from deploy.tests import harness
from deploy.tests.pki import Pki, crl_pem, issue, make_pki, pem, revocation_list


@pytest.fixture
def deployed(tmp_path: Path) -> tuple[Pki, harness.NginxSite]:
    harness.require_nginx()
    pki = make_pki(tmp_path / "pki", harness.SERVER_NAME)
    (tmp_path / "static").mkdir()
    site = harness.render_site(tmp_path / "nginx", pki, tmp_path / "static", ["unix:/nonexistent/web.sock"])
    return pki, site


def nginx_options(site: harness.NginxSite) -> list[str]:
    return ["--nginx", str(harness.NGINX), "--nginx-conf", str(site.main_conf)]


def check(pki: Pki, site: harness.NginxSite) -> subprocess.CompletedProcess[str]:
    return harness.run_script(
        "check_tls.py", str(site.env_file), "--server-ca", str(pki.server_ca), *nginx_options(site)
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""  # nothing reported as checked: it stopped at the fault
    assert "do not reload nginx with this" in result.stderr
    return result.stderr


def test_a_good_deployment_passes_with_nginx_t(deployed: tuple[Pki, harness.NginxSite]) -> None:
    result = check(*deployed)
    assert result.returncode == 0, result.stderr
    assert "server certificate: CN=localhost, 1 intermediate(s), verifies for localhost" in result.stdout
    assert "client authorities: 2 in" in result.stdout
    assert f"revocation lists: 2 in {deployed[0].client_crl}, each signed by its authority" in result.stdout
    assert f"nginx -t: the configuration {deployed[1].main_conf} is accepted" in result.stdout


def test_a_server_chain_that_does_not_verify_is_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    stranger = issue("CN=Autorite inconnue", None, ca=True)
    server = issue(f"CN={harness.SERVER_NAME}", stranger, dns=harness.SERVER_NAME)
    # The server's certificate from an authority nobody trusts, followed by our intermediate: it cannot verify.
    server.write(pki.server_chain.parent, "server", x509.load_pem_x509_certificate(pki.client_ca.read_bytes()))
    message = refused(check(pki, site))
    assert f"REFUSED: {pki.server_chain}: the server certificate (CN=localhost) does not verify" in message
    assert "unable to get local issuer certificate" in message


def test_an_expired_server_certificate_is_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    root = issue("CN=Racine", None, ca=True)
    issue(f"CN={harness.SERVER_NAME}", root, dns=harness.SERVER_NAME, days=-1).write(pki.server_chain.parent, "server")
    pki.server_ca.write_bytes(pem(root.certificate))
    assert "certificate has expired" in refused(check(pki, site))


def test_a_key_of_another_certificate_is_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    _, other_key = issue("CN=autre", None).write(pki.server_key.parent, "other")
    pki.server_key.write_bytes(other_key.read_bytes())
    message = refused(check(pki, site))
    assert f"{pki.server_key}: this key is not the one of the server certificate in {pki.server_chain}" in message


def test_a_client_authority_bundle_without_its_root_is_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    intermediate_only = pki.client_ca.read_bytes().split(b"-----END CERTIFICATE-----\n")[0]
    pki.client_ca.write_bytes(intermediate_only + b"-----END CERTIFICATE-----\n")
    message = refused(check(pki, site))
    assert "the client authority CN=AC de test ORGANISATIONS,O=Aiguillage tests,C=FR does not verify" in message


def test_a_configuration_nginx_refuses_is_reported_with_nginx_s_words(
    deployed: tuple[Pki, harness.NginxSite],
) -> None:
    pki, site = deployed
    site.main_conf.write_text(site.main_conf.read_text().replace("worker_connections 64;", "worker_connections;"))
    message = refused(check(pki, site))
    assert "nginx -t refuses the configuration" in message and "worker_connections" in message


INTERMEDIATE = "CN=AC de test ORGANISATIONS,O=Aiguillage tests,C=FR"


def test_revocation_lists_missing_for_an_authority_are_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    pki.client_crl.write_bytes(crl_pem(revocation_list(pki.root)))
    message = refused(check(pki, site))
    assert f"{pki.client_crl}: no revocation list for {INTERMEDIATE}" in message


def test_an_expired_revocation_list_is_said_loudly_but_nginx_may_start(deployed: tuple[Pki, harness.NginxSite]) -> None:
    """It fails the FHIR clients only; refusing nginx would take the pages down with them."""
    pki, site = deployed
    pki.client_crl.write_bytes(
        crl_pem(revocation_list(pki.root)) + crl_pem(revocation_list(pki.intermediate, hours=-1))
    )
    result = check(pki, site)
    assert result.returncode == 0, result.stderr
    assert f"WARNING: {pki.client_crl}: the revocation list of {INTERMEDIATE} expired at" in result.stdout
    assert "nginx refuses every client certificate until a fresh one is fetched" in result.stdout


def test_a_revocation_list_dated_ahead_of_the_clock_is_said_but_nginx_may_start(
    deployed: tuple[Pki, harness.NginxSite],
) -> None:
    """A host booting with its clock behind: the FHIR clients fail until it is right, the pages need not."""
    pki, site = deployed
    ahead = revocation_list(pki.intermediate, issued_ago=-timedelta(hours=2))
    pki.client_crl.write_bytes(crl_pem(revocation_list(pki.root)) + crl_pem(ahead))
    result = check(pki, site)
    assert result.returncode == 0, result.stderr
    assert f"WARNING: {pki.client_crl}: the revocation list of {INTERMEDIATE} is dated" in result.stdout
    assert "in the future" in result.stdout


def test_a_revocation_list_its_authority_did_not_sign_is_refused(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    # The intermediate's name, another authority's key: what a forged list looks like.
    forged = type(pki.intermediate)(pki.intermediate.certificate, pki.other_root.key)
    pki.client_crl.write_bytes(crl_pem(revocation_list(pki.root)) + crl_pem(revocation_list(forged)))
    message = refused(check(pki, site))
    assert f"the revocation list of {INTERMEDIATE} is not signed by an authority of {pki.client_ca}" in message


def test_a_revocation_list_near_its_end_is_accepted_with_a_warning(deployed: tuple[Pki, harness.NginxSite]) -> None:
    pki, site = deployed
    pki.client_crl.write_bytes(crl_pem(revocation_list(pki.root)) + crl_pem(revocation_list(pki.intermediate, hours=3)))
    result = check(pki, site)
    assert result.returncode == 0, result.stderr
    assert "WARNING: a revocation list ends within 12 hours: is aiguillage-crl.timer running?" in result.stdout
