#!/usr/bin/env bash
# Audits exactly what uv.lock pins (every group) against the known vulnerabilities (pip-audit, PyPI's advisories).
# Fails on any known vulnerability and on any error of the audit itself. Packages the service cannot answer for (an
# index without the per-version JSON API, no network) do not fail the audit, but are counted in one loud line.
set -euo pipefail
cd "$(dirname "$0")/.."

UV="${UV:-python3 -m uv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

$UV export --frozen --all-groups --no-hashes --no-emit-project --quiet >"$work/requirements.txt"

# --no-deps --disable-pip: the lock is the whole list, nothing is resolved or installed again.
status=0
$UV run --frozen pip-audit --requirement "$work/requirements.txt" --no-deps --disable-pip \
    --format json --output "$work/audit.json" --progress-spinner off "$@" 2>"$work/stderr" || status=$?

python3 - "$work/audit.json" "$status" "$work/stderr" <<'PYTHON'
import collections
import json
import sys

report_path, status, stderr_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
stderr = open(stderr_path, encoding="utf-8", errors="replace").read()
# pip-audit answers 0 (nothing found) or 1 (vulnerabilities found); anything else is the audit failing.
try:
    report = json.load(open(report_path, encoding="utf-8")) if status in (0, 1) else None
except (OSError, ValueError):
    report = None
if report is None:
    sys.stderr.write(stderr)
    print(f"AUDIT ERROR: pip-audit failed (exit {status}); nothing was audited.", file=sys.stderr)
    sys.exit(2)

dependencies = report.get("dependencies", [])
vulnerable = [d for d in dependencies if d.get("vulns")]
skipped = [d for d in dependencies if d.get("skip_reason")]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in: {fixed})")
if skipped:
    # "Dependency not found on PyPI and could not be audited: django (5.2.1)" -> the reason without the package.
    reasons = collections.Counter(d["skip_reason"].split(": ")[0] for d in skipped)
    why = "; ".join(f"{reason} ({count})" for reason, count in reasons.most_common())
    print(
        f"AUDIT INCOMPLETE: {len(skipped)} of {len(dependencies)} pinned packages could NOT be audited — {why}. "
        "The vulnerability service (PyPI's per-version JSON API or OSV) is probably unreachable from here: "
        "run `make audit` where it is reachable.",
        file=sys.stderr,
    )
if vulnerable:
    count = sum(len(d["vulns"]) for d in vulnerable)
    print(f"AUDIT FAILED: {count} known vulnerabilities in {len(vulnerable)} packages.", file=sys.stderr)
    sys.exit(1)
if status != 0:
    sys.stderr.write(stderr)
    print(f"AUDIT ERROR: pip-audit exited {status} without reporting a vulnerability.", file=sys.stderr)
    sys.exit(2)
audited = len(dependencies) - len(skipped)
print(f"Audit: {audited} of {len(dependencies)} pinned packages audited; no known vulnerability among them.")
PYTHON
