#!/usr/bin/env bash
# Fails when a user-facing string of the code has no French translation: extracts the strings again into the French
# catalogue, lists the untranslated or fuzzy entries, then puts the catalogue back as it was.
set -euo pipefail
po=locale/fr/LC_MESSAGES/django.po
backup=$(mktemp)
cp "$po" "$backup"
trap 'cp "$backup" "$po"; rm -f "$backup"' EXIT
python3 -m uv run --frozen python manage.py makemessages -l fr --ignore=.venv --ignore=var --ignore=tests \
  --ignore=conftest.py --ignore='*/tests/*' --no-obsolete -v 0
missing=$( { msgattrib --untranslated --no-wrap "$po"; msgattrib --only-fuzzy --no-wrap "$po"; } | grep -E '^msgid ' | grep -v '^msgid ""$' || true)
if [ -n "$missing" ]; then
  echo "Strings without a French translation (run 'make messages', translate them in $po):" >&2
  echo "$missing" >&2
  exit 1
fi
echo "French catalogue complete."
