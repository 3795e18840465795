# Aiguillage — the commands a developer and CI use. See README.md.
UV := python3 -m uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system
RUN := $(UV) run --frozen
MANAGE := $(RUN) python manage.py
PYTEST_WORKERS ?= 2

.PHONY: setup system-deps demo run test lint typecheck audit test-sqlite test-postgres bench bench-placement bench-load messages clean

setup:  ## Python environment (uv, from uv.lock), front-end libraries (npm, from package-lock.json), translations
	@./scripts/ensure_uv.sh
	$(UV) sync --frozen --quiet
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p var
	$(MANAGE) compilemessages --ignore=.venv -v 0

system-deps:  ## PostgreSQL, Chromium and gettext from Debian (installs them as root, else says what to install)
	@./scripts/system_deps.sh

demo:  ## Runs the app on SQLite with the demo data on http://127.0.0.1:8000
	@./scripts/system_deps.sh --demo
	@$(MAKE) --no-print-directory setup
	$(MANAGE) migrate --no-input -v 0
	$(MANAGE) load_demo
	@echo "The background worker (messages) and the scheduler (periodic jobs) run beside the server; Ctrl+C stops all."
	$(MANAGE) db_worker --no-reload --verbosity 0 & worker=$$!; \
		$(MANAGE) scheduler --jobs all & scheduler=$$!; \
		trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
		$(MANAGE) runserver 127.0.0.1:8000

run:  ## Production-like: gunicorn, prod settings; on PostgreSQL the owner role migrates, the app's role serves (SECURITY.md)
	@$(MAKE) --no-print-directory setup
	@export DJANGO_SETTINGS_MODULE=aiguillage.settings.prod; set -e; \
	set -- $$($(RUN) python -c "import django; django.setup(); from django.db import connection as c; \
		print(c.vendor, c.settings_dict['USER'] or '-')"); \
	[ -n "$${1:-}" ] || exit 2; \
	if [ "$$1" = postgresql ]; then \
		if [ -z "$${AIGUILLAGE_OWNER_DATABASE_URL:-}" ] || [ "$$2" = - ]; then \
			echo "make run on PostgreSQL takes two roles: DATABASE_URL connects as the app's role (named in it)," \
				"AIGUILLAGE_OWNER_DATABASE_URL as the owner, who migrates (SECURITY.md, 'Deployment notes')." >&2; \
			exit 2; \
		fi; \
		echo "As the owner role: migrate, then grant_app_role $$2."; \
		DATABASE_URL="$$AIGUILLAGE_OWNER_DATABASE_URL" $(MANAGE) migrate --no-input; \
		DATABASE_URL="$$AIGUILLAGE_OWNER_DATABASE_URL" $(MANAGE) grant_app_role "$$2"; \
	else \
		$(MANAGE) migrate --no-input; \
	fi; \
	$(MANAGE) collectstatic --no-input -v 0; \
	$(MANAGE) check --deploy --database default --fail-level ERROR; \
	echo "gunicorn connects as DATABASE_URL's role (the worker, manage.py db_worker, too); not the owner's URL."; \
	exec env -u AIGUILLAGE_OWNER_DATABASE_URL $(RUN) gunicorn aiguillage.wsgi \
		--bind $${AIGUILLAGE_BIND:-127.0.0.1:8000} --workers $${AIGUILLAGE_WORKERS:-3} --access-logfile -

lint:
	./scripts/check_messages.sh
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports  # decision 0003's layers (pyproject.toml, [tool.importlinter])

typecheck:
	$(RUN) mypy .

audit:  ## Known vulnerabilities in what uv.lock pins (pip-audit); says how many packages it could not audit
	./scripts/audit.sh

# Tests that touch no database (conftest.py marks them no_database) run once, on SQLite: the same answer twice.
# The browser journeys run once, on PostgreSQL (production's database), below: they drive pages, which both databases
# serve alike, and twice they were a third of `make test`. Everything else runs on both.
test-sqlite:
	$(RUN) pytest -n $(PYTEST_WORKERS) --dist loadgroup -q -m "not browser"

test-postgres:
	python3 scripts/pg_cluster.py -- $(RUN) env AIGUILLAGE_EXPECT_DB=postgresql pytest -n $(PYTEST_WORKERS) --dist loadgroup -q \
		-m "not no_database"

test: system-deps setup lint typecheck audit test-sqlite test-postgres  ## Everything CI checks

bench:  ## Benchmarks (outside the test suite): median of several runs, figures printed
	@$(MAKE) --no-print-directory setup
	python3 scripts/pg_cluster.py -- $(RUN) python -m bench

bench-placement:  ## The placement assistant's benchmarks alone (no database): quality against the optimum, speed
	@$(MAKE) --no-print-directory setup
	$(RUN) python -m bench.placement

bench-load:  ## Load test of a region's peak hour: gunicorn + PostgreSQL + the worker under Locust (README, Benchmarks)
	@$(MAKE) --no-print-directory setup
	python3 scripts/pg_cluster.py -- $(RUN) python -m bench.load

messages:  ## Refresh the translation catalogues after changing user-facing strings
	$(MANAGE) makemessages -l fr --ignore=.venv --ignore=var --ignore=tests --ignore=conftest.py --ignore="*/tests/*" --no-obsolete

clean:
	rm -rf var .venv .mypy_cache .ruff_cache
