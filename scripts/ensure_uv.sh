#!/usr/bin/env bash
# uv manages the project's Python environment, on the machine's own Python 3.11 (it never downloads an interpreter).
# The Makefile runs it as `python3 -m uv`, so that is what is checked: a uv binary on the PATH alone is not enough.
set -euo pipefail
if python3 -m uv --version >/dev/null 2>&1; then
  exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "pip is missing: installing Debian's python3-pip (to install uv)."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-pip >/dev/null
  else
    echo "uv is needed and pip is missing to install it: install Debian's python3-pip (as root), or uv itself." >&2
    exit 1
  fi
fi
pip=(python3 -m pip install --quiet --disable-pip-version-check)
# A Python whose packages the system manages (Debian's, PEP 668) refuses a plain install: uv then goes to the user's
# site-packages, which leaves the system's untouched.
"${pip[@]}" uv 2>/dev/null || "${pip[@]}" --user --break-system-packages uv
python3 -m uv --version >/dev/null
