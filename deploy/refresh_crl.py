#!/usr/bin/env python3
"""Fetches the revocation lists of the FHIR clients' authorities for nginx's `ssl_crl`:
`python3 deploy/refresh_crl.py /etc/aiguillage/nginx.env --reload "systemctl reload nginx"` (aiguillage-crl.service,
every hour by its timer; README "Deployment").

Each address of CLIENT_CRL_URLS is fetched (DER or PEM, as the authorities publish them). Each list must be signed by
an authority of CLIENT_CA and not be past its next update, and every authority of the bundle must have one: nginx
checks the whole chain, and a list missing or expired for one authority fails every client certificate. Only then is
CLIENT_CRL replaced, at once (written beside, then renamed), and the reload command run, when the lists changed.

Any failure (an address that does not answer, a list an authority did not sign, one expired, an authority without
one) prints what and where, exits 1, and leaves CLIENT_CRL as it was: nginx keeps the lists it has, which stay valid
until their next update (days for IGC-Santé's); check_tls.py warns 12 hours before. Standard library and OpenSSL's
command only, so that the system's python3 runs it."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from deploy.check_tls import (
    PEM_CRL,
    Refused,
    RevocationList,
    check_coverage,
    openssl,
    revocation_list,
)
from deploy.render import RenderError, read_env_file, write_atomically

MAX_BYTES = 50 * 1024 * 1024  # IGC-Santé's largest lists are a few megabytes
TIMEOUT = 60


def fetch(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise Refused(f"{url}: not an http(s) address")
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310 (http(s) checked above)
            body = answer.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError) as error:
        raise Refused(f"{url}: cannot be fetched ({getattr(error, 'reason', error)})") from error
    if len(body) > MAX_BYTES:
        raise Refused(f"{url}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    return body


def as_pem(body: bytes, url: str) -> list[bytes]:
    """The lists of an answer, PEM: a PEM file may hold several; DER holds one."""
    found = PEM_CRL.findall(body)
    if found:
        return [pem if pem.endswith(b"\n") else pem + b"\n" for pem in found]
    converted = openssl("crl", "-inform", "DER", "-outform", "PEM", stdin=body)
    if converted.returncode != 0 or not PEM_CRL.search(converted.stdout):
        raise Refused(f"{url}: not a revocation list (neither PEM nor DER)")
    return [converted.stdout]


def refresh(urls: list[str], bundle: Path, target: Path, now: datetime) -> bool:
    """Writes the checked lists to `target`; True when its content changed. Raises Refused, writing nothing."""
    if not urls:
        raise Refused("CLIENT_CRL_URLS names no address: one per authority of CLIENT_CA")
    lists: list[RevocationList] = []
    for url in urls:
        lists += [revocation_list(pem, bundle, url, now) for pem in as_pem(fetch(url), url)]
    check_coverage(lists, bundle, " ".join(urls))
    text = b"".join(each.pem for each in lists)
    try:
        before = target.read_bytes()
    except FileNotFoundError:
        before = None
    if before == text:
        return False
    write_atomically(target, text.decode("ascii"))  # PEM is ASCII
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file", type=Path, help="nginx.env: CLIENT_CA, CLIENT_CRL, CLIENT_CRL_URLS")
    parser.add_argument("--reload", default="", metavar="COMMAND", help="run when the lists changed (nginx's reload)")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file)
        missing = [key for key in ("CLIENT_CA", "CLIENT_CRL", "CLIENT_CRL_URLS") if key not in values]
        if missing:
            raise Refused(f"{args.env_file}: no value for {', '.join(missing)}")
        target = Path(values["CLIENT_CRL"])
        changed = refresh(values["CLIENT_CRL_URLS"].split(), Path(values["CLIENT_CA"]), target, datetime.now(UTC))
    except (Refused, RenderError, OSError) as error:
        print(f"refresh_crl.py: REFUSED: {error}", file=sys.stderr)
        print("refresh_crl.py: the revocation lists nginx has are kept as they were.", file=sys.stderr)
        return 1
    if not changed:
        print(f"refresh_crl.py: {target} unchanged")
        return 0
    print(f"refresh_crl.py: {target} written")
    if args.reload:
        reloaded = subprocess.run(shlex.split(args.reload), check=False, timeout=120)
        if reloaded.returncode != 0:
            print(f"refresh_crl.py: {args.reload!r} failed (exit {reloaded.returncode})", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
