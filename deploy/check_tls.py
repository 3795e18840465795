#!/usr/bin/env python3
"""Checks what nginx is about to load, before it loads it: `python3 deploy/check_tls.py /etc/aiguillage/nginx.env`.

1. The server's certificate file (TLS_CERTIFICATE: the certificate, then its intermediates) verifies up to a trusted
   root (the system's, or --server-ca), for SERVER_NAME, as a TLS server; its key (TLS_CERTIFICATE_KEY) is its own.
2. The FHIR clients' authorities (CLIENT_CA, the IGC-Santé bundle) are CA certificates, each verifying within the
   bundle up to a root it holds.
3. The revocation lists nginx checks client certificates against (CLIENT_CRL, written by deploy/refresh_crl.py): one
   for each authority of the bundle, each signed by it (nginx checks the whole chain: a list missing for one authority
   fails every client certificate). One past its next update, or dated ahead of this host's clock, is a WARNING, not
   a refusal: it fails the FHIR clients only, and refusing nginx's start would take the whole site down with them.
4. `nginx -t` accepts the whole configuration.

Any failure prints what is wrong and which file, exits 1, and runs nothing further: nginx.service's drop-in runs this
before every start and reload (deploy/systemd/nginx.service.d/aiguillage.conf), so a chain that does not verify never
reaches nginx, which keeps serving with what it had. OpenSSL's own `openssl verify` does the verifying: the library
nginx uses, with its rules. Standard library only, so that the system's python3 runs it."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from deploy.render import RenderError, read_env_file

SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")
PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?", re.DOTALL)
PEM_CRL = re.compile(rb"-----BEGIN X509 CRL-----.+?-----END X509 CRL-----\n?", re.DOTALL)
EXPIRY_WARNING_DAYS = 21
CRL_WARNING = timedelta(hours=12)  # refresh_crl.py runs every hour: a list this close to its end was not refreshed
CLOCK_SKEW = timedelta(minutes=5)  # refresh_crl.py: a list this little ahead of the clock waits for the next run


class Refused(Exception):
    pass


def openssl(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=30, check=False)


def pem_blocks(path: Path, pattern: re.Pattern[bytes], what: str, hint: str = "") -> list[bytes]:
    """The PEM blocks of `pattern` in the file, or a refusal naming it (`hint`: what to do about it)."""
    try:
        found: list[bytes] = pattern.findall(path.read_bytes())
    except OSError as error:
        raise Refused(f"{path}: cannot be read ({error.strerror}){hint}") from error
    if not found:
        raise Refused(f"{path}: holds no PEM {what}{hint}")
    return found


def certificates(path: Path) -> list[bytes]:
    return pem_blocks(path, PEM_CERTIFICATE, "certificate")


def describe(pem: bytes) -> str:
    result = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", stdin=pem)
    return result.stdout.decode().strip().removeprefix("subject=") or "an unreadable certificate"


def verify(leaf: bytes, *, trusted: Path, untrusted: list[bytes], options: list[str], folder: Path) -> str | None:
    """None when `openssl verify` accepts the certificate, else its error line."""
    leaf_file, chain_file = folder / "leaf.pem", folder / "untrusted.pem"
    leaf_file.write_bytes(leaf)
    chain_file.write_bytes(b"".join(untrusted))
    arguments = ["verify", "-CAfile", str(trusted), *options]
    if untrusted:
        arguments += ["-untrusted", str(chain_file)]
    result = openssl(*arguments, str(leaf_file))
    if result.returncode == 0:
        return None
    lines = [line for line in (result.stderr + result.stdout).decode().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error")] or lines
    return errors[0] if errors else "openssl verify failed"


def check_server(certificate: Path, key: Path, server_name: str, trusted: Path, folder: Path) -> list[str]:
    chain = certificates(certificate)
    leaf = chain[0]
    error = verify(
        leaf,
        trusted=trusted,
        untrusted=chain[1:],
        options=["-purpose", "sslserver", "-verify_hostname", server_name],
        folder=folder,
    )
    if error:
        raise Refused(
            f"{certificate}: the server certificate ({describe(leaf)}) does not verify against {trusted} with the "
            f"intermediates that follow it in the file: {error}"
        )
    certificate_key = openssl("x509", "-noout", "-pubkey", stdin=leaf).stdout
    private = openssl("pkey", "-in", str(key), "-pubout")
    if private.returncode != 0:
        raise Refused(f"{key}: not a readable private key ({private.stderr.decode().strip().splitlines()[0]})")
    if private.stdout != certificate_key:
        raise Refused(f"{key}: this key is not the one of the server certificate in {certificate}")
    notes = [f"server certificate: {describe(leaf)}, {len(chain) - 1} intermediate(s), verifies for {server_name}"]
    if openssl("x509", "-noout", "-checkend", str(EXPIRY_WARNING_DAYS * 86400), stdin=leaf).returncode != 0:
        notes.append(f"WARNING: the server certificate expires within {EXPIRY_WARNING_DAYS} days: renew it")
    return notes


def check_client_authorities(bundle: Path, folder: Path) -> list[str]:
    authorities = certificates(bundle)
    notes = []
    for pem in authorities:
        name = describe(pem)
        constraints = openssl("x509", "-noout", "-ext", "basicConstraints", stdin=pem).stdout.decode()
        if "CA:TRUE" not in constraints:
            raise Refused(f"{bundle}: {name} is not a certificate authority (basicConstraints CA:TRUE missing)")
        error = verify(pem, trusted=bundle, untrusted=[], options=[], folder=folder)
        if error:
            raise Refused(
                f"{bundle}: the client authority {name} does not verify within the bundle (its issuer, up to a root, "
                f"must be in the file): {error}"
            )
        if openssl("x509", "-noout", "-checkend", str(EXPIRY_WARNING_DAYS * 86400), stdin=pem).returncode != 0:
            notes.append(f"WARNING: the client authority {name} expires within {EXPIRY_WARNING_DAYS} days")
    notes.insert(0, f"client authorities: {len(authorities)} in {bundle}, each verifies up to a root of the bundle")
    return notes


@dataclass(frozen=True)
class RevocationList:
    issuer: str
    last_update: datetime
    next_update: datetime
    pem: bytes


def _openssl_time(said: str, field: str) -> datetime | None:
    found = re.search(rf"^{field}=(.*)$", said, re.MULTILINE)
    if found is None or found.group(1).strip() == "NONE":
        return None
    return datetime.strptime(found.group(1).strip(), "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)


def revocation_list(pem: bytes, bundle: Path, origin: str) -> RevocationList:
    """A CRL (PEM) checked against the authorities of `bundle` only (not the system's): signed by one of them. Its
    dates are the caller's to judge (`expired`, `future`). `origin` names where it came from in the messages."""
    read = openssl(
        "crl", "-noout", "-issuer", "-lastupdate", "-nextupdate", "-nameopt", "RFC2253",
        "-CAfile", str(bundle), "-no-CApath", "-no-CAstore", stdin=pem,
    )  # fmt: skip
    said = (read.stdout + read.stderr).decode(errors="replace")
    issuer = re.search(r"^issuer=(.*)$", said, re.MULTILINE)
    if read.returncode != 0 or issuer is None:
        first = said.strip().splitlines()[0] if said.strip() else "openssl crl failed"
        raise Refused(f"{origin}: not a readable revocation list ({first})")
    # `openssl crl -CAfile` says "verify OK" or "verify failure" (or cannot find the issuer) and exits 0 either way:
    # its words decide.
    if "verify OK" not in said or "verify failure" in said:
        raise Refused(f"{origin}: the revocation list of {issuer.group(1)} is not signed by an authority of {bundle}")
    starts, ends = _openssl_time(said, "lastUpdate"), _openssl_time(said, "nextUpdate")
    if starts is None or ends is None:
        raise Refused(f"{origin}: the revocation list of {issuer.group(1)} gives no last or next update")
    return RevocationList(issuer.group(1), starts, ends, pem)


def expired(each: RevocationList, origin: str) -> str:
    return (
        f"{origin}: the revocation list of {each.issuer} expired at {each.next_update:%Y-%m-%d %H:%M} UTC (nginx "
        "refuses every client certificate until a fresh one is fetched: deploy/refresh_crl.py)"
    )


def future(each: RevocationList, origin: str) -> str:
    return (
        f"{origin}: the revocation list of {each.issuer} is dated {each.last_update:%Y-%m-%d %H:%M:%S} UTC, in the "
        "future (this host's clock, or the list, is wrong: nginx refuses every client certificate until then)"
    )


def check_coverage(lists: list[RevocationList], bundle: Path, origin: str) -> None:
    """Each authority of the bundle has its list: nginx checks every certificate of the chain."""
    authorities = [describe(pem) for pem in certificates(bundle)]
    missing = [name for name in authorities if name not in {each.issuer for each in lists}]
    if missing:
        raise Refused(
            f"{origin}: no revocation list for {'; '.join(missing)} (nginx checks every authority of the chain: "
            "without it, every client certificate fails)"
        )


def check_revocation_lists(crl_file: Path, bundle: Path, now: datetime) -> list[str]:
    found = pem_blocks(crl_file, PEM_CRL, "revocation list", "; deploy/refresh_crl.py writes it")
    lists = [revocation_list(pem, bundle, str(crl_file)) for pem in found]
    check_coverage(lists, bundle, str(crl_file))
    soonest = min(each.next_update for each in lists)
    notes = [
        f"revocation lists: {len(lists)} in {crl_file}, each signed by its authority; the first ends "
        f"{soonest:%Y-%m-%d %H:%M} UTC"
    ]
    # An expired list fails the FHIR clients only (nginx's 400): refusing nginx's start for it would take the whole
    # site down with them, for what only a fresh list mends. Said loudly, not refused.
    notes += [f"WARNING: {expired(each, str(crl_file))}" for each in lists if each.next_update <= now]
    # Dated ahead of this host's clock (a clock not yet set at boot): the same, the FHIR clients only until then.
    notes += [f"WARNING: {future(each, str(crl_file))}" for each in lists if each.last_update > now]
    if now < soonest and soonest - now < CRL_WARNING:
        notes.append(
            f"WARNING: a revocation list ends within {int(CRL_WARNING.total_seconds() // 3600)} hours: is "
            "aiguillage-crl.timer running? (systemctl status aiguillage-crl.service)"
        )
    return notes


def check_nginx(nginx: str, configuration: Path | None) -> str:
    arguments = [nginx, "-t", "-q"] + (["-c", str(configuration)] if configuration else [])
    try:
        result = subprocess.run(arguments, capture_output=True, timeout=60, check=False)
    except OSError as error:
        raise Refused(f"{nginx}: cannot run ({error.strerror})") from error
    if result.returncode != 0:
        raise Refused(f"nginx -t refuses the configuration:\n{result.stderr.decode().strip()}")
    return f"nginx -t: the configuration{f' {configuration}' if configuration else ''} is accepted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file", type=Path, help="the values nginx's configuration was rendered with")
    parser.add_argument("--server-ca", type=Path, default=SYSTEM_CAS, help=f"trusted roots (default {SYSTEM_CAS})")
    parser.add_argument("--nginx", default="/usr/sbin/nginx")
    parser.add_argument("--nginx-conf", type=Path, help="nginx's main file (default: nginx's own, /etc/nginx)")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file)
        needed = ("SERVER_NAME", "TLS_CERTIFICATE", "TLS_CERTIFICATE_KEY", "CLIENT_CA", "CLIENT_CRL")
        missing = [k for k in needed if k not in values]
        if missing:
            raise Refused(f"{args.env_file}: no value for {', '.join(missing)}")
        with tempfile.TemporaryDirectory(prefix="aiguillage-check-tls-") as scratch:
            notes = check_server(
                Path(values["TLS_CERTIFICATE"]),
                Path(values["TLS_CERTIFICATE_KEY"]),
                values["SERVER_NAME"],
                args.server_ca,
                Path(scratch),
            )
            notes += check_client_authorities(Path(values["CLIENT_CA"]), Path(scratch))
            notes += check_revocation_lists(Path(values["CLIENT_CRL"]), Path(values["CLIENT_CA"]), datetime.now(UTC))
        notes.append(check_nginx(args.nginx, args.nginx_conf))
    except (Refused, RenderError, OSError) as error:
        print(f"check_tls.py: REFUSED: {error}", file=sys.stderr)
        print(
            "check_tls.py: do not reload nginx with this; through systemctl it refuses to (nginx keeps what it has).",
            file=sys.stderr,
        )
        return 1
    for note in notes:
        print(f"check_tls.py: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
