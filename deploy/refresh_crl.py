#!/usr/bin/env python3
"""Fetches the revocation lists of the FHIR clients' authorities for nginx's `ssl_crl`:
`python3 deploy/refresh_crl.py /etc/aiguillage/nginx.env --reload "systemctl try-reload-or-restart nginx"`
(aiguillage-crl.service, every hour by its timer; README "Deployment"; `try-`: nothing to reload while nginx is
stopped, at the first run).

Each address of CLIENT_CRL_URLS is fetched (DER or PEM, as the authorities publish them). Each list must be signed by
an authority of CLIENT_CA (the bundle's only, not the system's), not be past its next update nor dated ahead of this
host's clock (a few minutes ahead: kept for the next run), every authority of the bundle must have one (nginx checks
the whole chain, and a list missing or expired for one authority fails every client certificate), and an authority's
newest list must not be older than the newest installed for it (they come over plain HTTP: an older list served
again would take revocations back). Only then is CLIENT_CRL replaced, at once (written beside, then renamed), and the
reload command run when the lists changed; a reload that fails is tried again at the next runs until it succeeds.

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
    CLOCK_SKEW,
    PEM_CRL,
    Refused,
    RevocationList,
    check_coverage,
    expired,
    future,
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


def installed(target: Path, bundle: Path) -> tuple[bytes | None, dict[str, datetime]]:
    """What `target` holds now, and when each authority's newest list in it was issued (unreadable lists are
    ignored: they are about to be replaced)."""
    try:
        before = target.read_bytes()
    except FileNotFoundError:
        return None, {}
    issued: dict[str, datetime] = {}
    for pem in PEM_CRL.findall(before):
        try:
            each = revocation_list(pem, bundle, str(target))
        except Refused:
            continue
        issued[each.issuer] = max(each.last_update, issued.get(each.issuer, each.last_update))
    return before, issued


WRITTEN, UNCHANGED, NOT_YET = "written", "unchanged", "not yet"


def refresh(urls: list[str], bundle: Path, target: Path, now: datetime) -> str:
    """Writes the checked lists to `target`: WRITTEN, or UNCHANGED, or NOT_YET (a list issued a little ahead of this
    host's clock: nginx would refuse every client until then, so it waits for the next run). Raises Refused, writing
    nothing: a list expired, dated further ahead, or an authority's newest list older than the newest installed for
    it (the lists come over plain HTTP: an older one served again would take revocations back)."""
    if not urls:
        raise Refused("CLIENT_CRL_URLS names no address: one per authority of CLIENT_CA")
    before, issued = installed(target, bundle)
    lists: list[RevocationList] = []
    for url in urls:
        for each in (revocation_list(pem, bundle, url) for pem in as_pem(fetch(url), url)):
            if each.next_update <= now:
                raise Refused(expired(each, url))
            if each.last_update > now + CLOCK_SKEW:
                raise Refused(future(each, url))
            lists.append(each)
    check_coverage(lists, bundle, " ".join(urls))
    newest: dict[str, datetime] = {}
    for each in lists:  # an authority may publish several lists (a base and a delta, two addresses): its newest
        newest[each.issuer] = max(each.last_update, newest.get(each.issuer, each.last_update))
    for issuer, last in newest.items():
        if issuer in issued and last < issued[issuer]:
            raise Refused(
                f"the newest revocation list of {issuer} fetched was issued {last:%Y-%m-%d %H:%M} UTC, before the "
                f"one installed ({issued[issuer]:%Y-%m-%d %H:%M} UTC): an older list would take revocations back "
                f"(if the authority really went back, remove {target} and run again)"
            )
    if any(each.last_update > now for each in lists):
        return NOT_YET
    text = b"".join(each.pem for each in lists)
    if before == text:
        return UNCHANGED
    write_atomically(target, text.decode("ascii"))  # PEM is ASCII
    return WRITTEN


def pending(target: Path) -> Path:
    """Marks lists written that nginx has not loaded yet: the next run reloads even when nothing changed."""
    return target.with_name(f".{target.name}.reload-pending")


def reload(command: str) -> str | None:
    """None when the command succeeded, else why not."""
    try:
        done = subprocess.run(shlex.split(command), check=False, timeout=120)
    except (OSError, subprocess.SubprocessError) as error:
        return str(error)
    return None if done.returncode == 0 else f"exit {done.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file", type=Path, help="nginx.env: CLIENT_CA, CLIENT_CRL, CLIENT_CRL_URLS")
    parser.add_argument(
        "--reload",
        default="",
        metavar="COMMAND",
        help="run when the lists changed (nginx's reload; tried again at each run until it succeeds)",
    )
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file)
        missing = [key for key in ("CLIENT_CA", "CLIENT_CRL", "CLIENT_CRL_URLS") if key not in values]
        if missing:
            raise Refused(f"{args.env_file}: no value for {', '.join(missing)}")
        target = Path(values["CLIENT_CRL"])
        outcome = refresh(values["CLIENT_CRL_URLS"].split(), Path(values["CLIENT_CA"]), target, datetime.now(UTC))
        if outcome == WRITTEN and args.reload:
            pending(target).touch()
    except (Refused, RenderError, OSError) as error:
        print(f"refresh_crl.py: REFUSED: {error}", file=sys.stderr)
        print("refresh_crl.py: the revocation lists nginx has are kept as they were.", file=sys.stderr)
        return 1
    if outcome == NOT_YET:
        print(f"refresh_crl.py: a list is issued a little ahead of this host's clock; {target} kept for now")
        return 0
    print(f"refresh_crl.py: {target} {outcome}")
    if args.reload and pending(target).exists():
        failed = reload(args.reload)
        if failed:
            # The new lists stay written and marked: the next run reloads again, even if nothing changed by then.
            print(f"refresh_crl.py: {args.reload!r} failed ({failed}); the next run tries again", file=sys.stderr)
            return 1
        pending(target).unlink(missing_ok=True)
        print(f"refresh_crl.py: {args.reload!r} done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
