"""Benchmarks, outside the test suite: `make bench` runs them on a throwaway PostgreSQL (or DATABASE_URL).

Each benchmark runs several rounds and prints the median and the spread, so that a change can be compared with the
figures in README.md. Later issues add theirs to BENCHMARKS.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import django


def measure(name: str, action: Callable[[], object], *, rounds: int = 7, inner: int = 20) -> None:
    action()  # warm-up: caches, connections, compiled templates
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(inner):
            action()
        per_call.append((time.perf_counter() - start) / inner * 1000)
    print(
        f"{name:<55} median {statistics.median(per_call):8.2f} ms   "
        f"min {min(per_call):8.2f}   max {max(per_call):8.2f}   ({rounds}×{inner} calls)",
        flush=True,
    )


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiguillage.settings.test")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    from demo.loader import load_demo

    load_demo()
    from accounts.models import User
    from territory.models import Cell
    from territory.selectors import commune_search

    print(f"Database: {connection.vendor}; Python {sys.version.split()[0]}; Django {django.get_version()}")
    cell = Cell.objects.get(slug="orne-est")
    measure("commune_search('saint germain') in all of France", lambda: commune_search("saint germain"))
    measure("commune_search('61200') by postal code", lambda: commune_search("61200"))
    measure("commune_search('arg') within the cell", lambda: commune_search("arg", cell=cell))
    client = Client()
    client.force_login(User.objects.get(username="admin-orne"))
    measure("GET professionals list (page 1, 25 rows)", lambda: client.get("/c/orne-est/annuaire/professionnels/"))
    measure(
        "GET professionals search ?q=mart (htmx partial)",
        lambda: client.get("/c/orne-est/annuaire/professionnels/?q=mart", HTTP_HX_REQUEST="true"),
    )
    measure("GET cell home (cell administrator)", lambda: client.get("/c/orne-est/"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
