#!/usr/bin/env bash
# uv manages the project's Python environment, on the machine's own Python 3.11 (it never downloads an interpreter).
set -euo pipefail
if ! command -v uv >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
