#!/usr/bin/env python3
"""Renders deploy/nginx/aiguillage.conf for this host: `python3 deploy/render.py /etc/aiguillage/nginx.env
-o /etc/nginx/sites-available/aiguillage.conf` (README "Deployment").

The template's placeholders are `@NAME@` (nginx's own `$variables` stay as they are); a line holding `@NAME*@` is
written once for each space-separated value (the upstream's servers). The values come from the environment file
(KEY=value lines, as systemd reads them; `#` comments), then from `--set KEY=value`. A placeholder without a value,
or a value the template does not use, stops the rendering with its name: nothing is written. Standard library only,
so that the system's python3 runs it."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "nginx" / "aiguillage.conf"
PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)(\*?)@")
# Values of the same file that other tools read, not the template: the revocation lists' addresses (refresh_crl.py).
READ_ELSEWHERE = frozenset({"CLIENT_CRL_URLS"})


class RenderError(Exception):
    pass


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines; a value may be quoted as in a shell (systemd's EnvironmentFile accepts the same)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", key.strip()):
            raise RenderError(f"{path}:{number}: not a KEY=value line: {line!r}")
        parts = shlex.split(value, comments=False)
        values[key.strip()] = " ".join(parts)
    return values


def render(template: str, values: dict[str, str]) -> str:
    used = {name for name, _ in PLACEHOLDER.findall(template)}
    missing = sorted(name for name in used if not values.get(name, "").strip())
    if missing:
        raise RenderError(f"no value for {', '.join(missing)} (set in the environment file or with --set)")
    unused = sorted(set(values) - used - READ_ELSEWHERE)
    if unused:
        raise RenderError(f"not a placeholder of the template: {', '.join(unused)}")
    lines = []
    for line in template.splitlines(keepends=True):
        repeated = [name for name, star in PLACEHOLDER.findall(line) if star]
        if len(repeated) > 1:
            raise RenderError(f"one repeated placeholder per line at most: {line.strip()}")
        items: list[str | None] = list(values[repeated[0]].split()) if repeated else [None]
        for item in items:

            def substitute(match: re.Match[str], item: str | None = item) -> str:
                name, star = match.groups()
                if star:
                    return item or ""
                if re.search(r"[\s;{}'\"]", values[name]):
                    raise RenderError(f"{name}: one word without spaces, quotes, ';' or braces, got {values[name]!r}")
                return values[name]

            lines.append(PLACEHOLDER.sub(substitute, line))
    return "".join(lines)


def write_atomically(path: Path, text: str) -> None:
    """The whole file or nothing: a reader (nginx -t, a reload) never sees half of it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env_file", type=Path, help="KEY=value file, e.g. /etc/aiguillage/nginx.env")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="overrides the file")
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("-o", "--output", type=Path, help="the file to write (else standard output)")
    args = parser.parse_args(argv)
    try:
        values = read_env_file(args.env_file)
        for assignment in args.set:
            key, sep, value = assignment.partition("=")
            if not sep:
                raise RenderError(f"--set {assignment!r}: KEY=VALUE expected")
            values[key] = value
        text = render(args.template.read_text(encoding="utf-8"), values)
    except (RenderError, OSError) as error:
        print(f"render.py: {error}; nothing written.", file=sys.stderr)
        return 1
    if args.output:
        write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
