"""deploy/refresh_crl.py, what aiguillage-crl.timer runs every hour: it fetches the authorities' revocation lists over
real HTTP (a server on loopback stands in for the ANS's), writes them for nginx only when each is signed by its
authority, unexpired, and every authority has one, and runs the reload only when they changed. Any fault leaves the
file nginx reads as it was."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from deploy.tests import harness
from deploy.tests.pki import Pki, crl_der, crl_pem, make_pki, revocation_list

INTERMEDIATE = "CN=AC de test ORGANISATIONS,O=Aiguillage tests,C=FR"


class Published:
    """What the loopback server answers: path → body (absent: 404)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.asked: list[str] = []


@pytest.fixture
def published() -> Iterator[tuple[Published, str]]:
    state = Published()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.asked.append(self.path)
            body = state.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return make_pki(tmp_path / "pki", harness.SERVER_NAME)


def env_file(folder: Path, pki: Pki, target: Path, urls: list[str]) -> Path:
    path = folder / "nginx.env"
    path.write_text(f'CLIENT_CA={pki.client_ca}\nCLIENT_CRL={target}\nCLIENT_CRL_URLS="{" ".join(urls)}"\n')
    return path


def refresh(env: Path, reload_marker: Path) -> subprocess.CompletedProcess[str]:
    reload = f"{sys.executable} -c \"open('{reload_marker}', 'a').write('reloaded\\n')\""
    return harness.run_script("refresh_crl.py", str(env), "--reload", reload)


def refused(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout
    assert "the revocation lists nginx has are kept as they were" in result.stderr
    return result.stderr


def test_the_lists_are_fetched_checked_written_and_nginx_reloaded_only_when_they_change(
    tmp_path: Path, pki: Pki, published: tuple[Published, str]
) -> None:
    state, base = published
    state.files["/racine.crl"] = crl_der(revocation_list(pki.root))  # DER, as authorities publish them
    state.files["/organisations.crl"] = crl_pem(revocation_list(pki.intermediate, (pki.revoked_certificate,)))
    target, marker = tmp_path / "crl.pem", tmp_path / "reloads"
    env = env_file(tmp_path, pki, target, [f"{base}/racine.crl", f"{base}/organisations.crl"])

    first = refresh(env, marker)
    assert first.returncode == 0, first.stderr
    assert f"{target} written" in first.stdout and marker.read_text() == "reloaded\n"
    assert target.read_bytes().count(b"-----BEGIN X509 CRL-----") == 2
    # What was written holds both authorities' lists, and the intermediate's revokes the certificate.
    written = [
        x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
        for part in target.read_bytes().split(b"-----BEGIN X509 CRL-----")[1:]
    ]
    assert [crl.issuer for crl in written] == [pki.root.certificate.subject, pki.intermediate.certificate.subject]
    assert written[1].get_revoked_certificate_by_serial_number(pki.revoked_certificate.serial_number) is not None

    again = refresh(env, marker)
    assert again.returncode == 0 and f"{target} unchanged" in again.stdout
    assert marker.read_text() == "reloaded\n"  # nothing changed: no reload

    state.files["/organisations.crl"] = crl_pem(revocation_list(pki.intermediate))  # a newer list
    third = refresh(env, marker)
    assert third.returncode == 0 and marker.read_text() == "reloaded\nreloaded\n"
    assert state.asked.count("/racine.crl") == 3


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("missing", f"no revocation list for {INTERMEDIATE}"),
        ("expired", f"the revocation list of {INTERMEDIATE} expired at"),
        ("forged", f"the revocation list of {INTERMEDIATE} is not signed by an authority of"),
        ("not found", "cannot be fetched (Not Found)"),
        ("garbage", "not a revocation list (neither PEM nor DER)"),
        ("older", f"the newest revocation list of {INTERMEDIATE} fetched was issued"),
        ("future", "in the future"),
    ],
)
def test_a_fault_writes_nothing_and_keeps_what_nginx_has(
    tmp_path: Path, pki: Pki, published: tuple[Published, str], fault: str, message: str
) -> None:
    state, base = published
    state.files["/racine.crl"] = crl_der(revocation_list(pki.root))
    urls = [f"{base}/racine.crl", f"{base}/organisations.crl"]
    if fault == "missing":
        urls = urls[:1]
    elif fault == "expired":
        state.files["/organisations.crl"] = crl_der(revocation_list(pki.intermediate, hours=-1))
    elif fault == "forged":
        forged = type(pki.intermediate)(pki.intermediate.certificate, pki.other_root.key)
        state.files["/organisations.crl"] = crl_der(revocation_list(forged))
    elif fault == "garbage":
        state.files["/organisations.crl"] = b"<html>maintenance</html>"
    elif fault == "older":  # issued 3 hours ago, while nginx has the one of an hour ago: a replay
        state.files["/organisations.crl"] = crl_der(revocation_list(pki.intermediate, issued_ago=timedelta(hours=3)))
    elif fault == "future":
        state.files["/organisations.crl"] = crl_der(revocation_list(pki.intermediate, issued_ago=-timedelta(hours=1)))
    target, marker = tmp_path / "crl.pem", tmp_path / "reloads"
    target.write_bytes(pki.client_crl.read_bytes())  # what nginx has now
    before = target.read_bytes()
    assert message in refused(refresh(env_file(tmp_path, pki, target, urls), marker))
    assert target.read_bytes() == before and not marker.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".crl.pem")] == []  # no half-written file


def test_a_reload_that_fails_is_tried_again_at_the_next_run_though_nothing_changed(
    tmp_path: Path, pki: Pki, published: tuple[Published, str]
) -> None:
    state, base = published
    state.files["/racine.crl"] = crl_der(revocation_list(pki.root))
    state.files["/organisations.crl"] = crl_der(revocation_list(pki.intermediate, (pki.revoked_certificate,)))
    target = tmp_path / "crl.pem"
    env = env_file(tmp_path, pki, target, [f"{base}/racine.crl", f"{base}/organisations.crl"])
    for failing in (f"{sys.executable} -c 'raise SystemExit(3)'", "/nonexistent/systemctl reload nginx"):
        result = harness.run_script("refresh_crl.py", str(env), "--reload", failing)
        assert result.returncode == 1 and "the next run tries again" in result.stderr, result.stderr
    assert "failed (exit 3)" in result.stderr or "No such file" in result.stderr
    written = target.read_bytes()
    assert written.count(b"-----BEGIN X509 CRL-----") == 2  # the new lists stay, for nginx's next (re)load
    again = refresh(env, tmp_path / "reloads")
    assert again.returncode == 0 and f"{target} unchanged" in again.stdout
    assert (tmp_path / "reloads").read_text() == "reloaded\n"  # reloaded all the same: nginx had not loaded them
    assert target.read_bytes() == written
    third = refresh(env, tmp_path / "reloads")
    assert third.returncode == 0 and (tmp_path / "reloads").read_text() == "reloaded\n"  # done: no more reloads


def test_an_authority_publishing_two_lists_is_refreshed_run_after_run(
    tmp_path: Path, pki: Pki, published: tuple[Published, str]
) -> None:
    """Two lists of one authority (two addresses, a base and a delta): the older of the two is no replay."""
    state, base = published
    state.files["/racine.crl"] = crl_der(revocation_list(pki.root))
    state.files["/organisations-a.crl"] = crl_der(revocation_list(pki.intermediate, issued_ago=timedelta(hours=5)))
    state.files["/organisations-b.crl"] = crl_der(revocation_list(pki.intermediate, (pki.revoked_certificate,)))
    target = tmp_path / "crl.pem"
    urls = [f"{base}/racine.crl", f"{base}/organisations-a.crl", f"{base}/organisations-b.crl"]
    env = env_file(tmp_path, pki, target, urls)
    assert refresh(env, tmp_path / "reloads").returncode == 0
    again = refresh(env, tmp_path / "reloads")
    assert again.returncode == 0 and f"{target} unchanged" in again.stdout, again.stderr


def test_a_list_issued_a_little_ahead_of_the_clock_waits_for_the_next_run(
    tmp_path: Path, pki: Pki, published: tuple[Published, str]
) -> None:
    state, base = published
    state.files["/racine.crl"] = crl_der(revocation_list(pki.root))
    state.files["/organisations.crl"] = crl_der(revocation_list(pki.intermediate, issued_ago=-timedelta(minutes=2)))
    target = tmp_path / "crl.pem"
    target.write_bytes(pki.client_crl.read_bytes())
    before = target.read_bytes()
    result = refresh(
        env_file(tmp_path, pki, target, [f"{base}/racine.crl", f"{base}/organisations.crl"]), tmp_path / "r"
    )
    assert result.returncode == 0 and "kept for now" in result.stdout
    assert target.read_bytes() == before and not (tmp_path / "r").exists()


def test_the_example_environment_names_what_refresh_crl_reads() -> None:
    example = (harness.DEPLOY / "nginx.env.example").read_text()
    for key in ("CLIENT_CA=", "CLIENT_CRL=", "CLIENT_CRL_URLS="):
        assert f"\n{key}" in example
    unit = (harness.DEPLOY / "systemd" / "aiguillage-crl.service").read_text()
    assert "deploy/refresh_crl.py /etc/aiguillage/nginx.env --reload" in unit
    timer = (harness.DEPLOY / "systemd" / "aiguillage-crl.timer").read_text()
    assert "OnCalendar=hourly" in timer and "Unit=aiguillage-crl.service" in timer
