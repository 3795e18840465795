#!/usr/bin/env bash
# Makes sure the machine has what the project needs outside Python: PostgreSQL server binaries (the test run starts its
# own throwaway cluster), Chromium (browser tests), gettext (compiled translations), Node.js and npm (front-end
# libraries from the npm registry), Pango and the DejaVu fonts (the PDF reports, drawn by WeasyPrint), LibreOffice Calc
# without its GUI (a test opens the CSV export as a French spreadsheet does; not needed by the demo), nginx (a test
# runs the deployment's nginx configuration, mutual TLS included, in front of gunicorn), pgBackRest (the backup and
# restore drill) and systemd-analyze (the deployment's units are verified with it).
# As root, installs what is missing with apt; otherwise says exactly what to install and fails.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc-nogui)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v pgbackrest >/dev/null 2>&1 || missing+=(pgbackrest)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # checks the deployment's units
pdf_deps() {
  ldconfig -p | grep -q "libpango-1.0.so.0" || missing+=(libpango-1.0-0)
  ldconfig -p | grep -q "libpangoft2-1.0.so.0" || missing+=(libpangoft2-1.0-0)
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
}
pdf_deps

if [ "${1:-}" = "--demo" ]; then
  # The demo needs gettext (translations) and npm (front-end libraries); no database server, no browser.
  missing=()
  command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
  command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
  pdf_deps
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = "0" ]; then
  echo "Installing with apt: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi

echo "Missing system packages: ${missing[*]}" >&2
echo "Install them as root: apt-get install ${missing[*]}" >&2
exit 1
