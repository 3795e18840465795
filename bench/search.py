"""Benchmarks of "Find a request" (issue 19.5) on the 50,000 requests of `seed_requests`: each search as the
coordinator types it, through the whole HTTP stack (the htmx partial of the results, page 1 and the total).

`make bench` runs them after the queue's (bench/__main__.py calls `bench_search`); alone, on a throwaway PostgreSQL:

    python3 scripts/pg_cluster.py -- .venv/bin/python -m bench.search [--explain]

`--explain` prints PostgreSQL's plan of each search's queries.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from django.test import Client

    from territory.models import Cell

SEARCHES = (
    ("search: patient name, all requests (1,000 match)", {"q": "dupont"}),
    ("search: first and last name, finished requests", {"q": "Test Dupont", "status": "finished"}),
    ("search: a name that matches nobody", {"q": "lefèvre"}),
    ("search: a name that matches one request", {"q": "patient12345"}),
    ("search: reference prefix (100 match)", {"q": "b00123"}),
    ("search: phone typed 06 00 01 23 45", {"q": "06 00 01 23 45"}),
    ("search: date of birth", {"birth_date": "02/04/1975"}),
    ("search: a week received, all requests", {"received_from": "", "received_to": ""}),
)


def bench_search(cell: Cell, coordinator: Client, *, explain: bool = False) -> None:
    """Gives one seeded request in 50 a date of birth (the seed has none), then measures each search."""
    from datetime import date, timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.__main__ import measure
    from referrals.models import Request

    # Not the Dupont ones (every 50th from the first): updated rows move to the end of the table, which would make
    # the figures of the name searches those of an unlucky layout.
    born = list(Request.objects.filter(cell=cell, reference__startswith="B").order_by("pk")[25::50])
    for number, request in enumerate(born):
        request.patient_birth_date = date(1975, 4, 2) if number % 100 == 0 else date(1940, 1, 1) + timedelta(number)
    Request.objects.bulk_update(born, ["patient_birth_date"], batch_size=2000)
    if connection.vendor == "postgresql":  # as autovacuum would after the bulk load: the planner needs statistics
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE referrals_request")
    week_end = timezone.localdate() - timedelta(days=10)
    url = f"/c/{cell.slug}/demandes/recherche/"
    for name, query in SEARCHES:
        if "received_from" in query:
            query = {"received_from": f"{week_end - timedelta(days=6):%d/%m/%Y}", "received_to": f"{week_end:%d/%m/%Y}"}
        response = coordinator.get(url, query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
        results = response.context["results"]
        total = f"{results.total}+" if results.more else results.total

        def typed(query: dict[str, str] = query) -> object:
            return coordinator.get(url, query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")

        measure(f"{name} [{total} found]", typed, rounds=7, inner=5)
        if explain and connection.vendor == "postgresql":
            with CaptureQueriesContext(connection) as queries:
                coordinator.get(url, query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="search-results")
            for sql in (q["sql"] for q in queries.captured_queries):
                if sql.startswith("SELECT") and 'FROM "referrals_request"' in sql:
                    with connection.cursor() as cursor:
                        cursor.execute(f"EXPLAIN ANALYZE {sql}")
                        print(f"  {sql[:100]}…", *(f"    {row[0]}" for row in cursor.fetchall()), sep="\n")


def main() -> int:
    from bench.__main__ import prepare, seed_requests

    prepare()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.testing import mark_second_factor_verified
    from territory.models import Cell

    print(f"Database: {connection.vendor}; Python {sys.version.split()[0]}; Django {django.get_version()}")
    cell = Cell.objects.get(slug="orne-est")
    seeded = seed_requests(cell, total=50_000, open_=300)
    print(f"Requests in the database: {seeded}")
    coordinator = Client()
    user = User.objects.get(username="coordination")
    coordinator.force_login(user)
    mark_second_factor_verified(coordinator, user)
    bench_search(cell, coordinator, explain="--explain" in sys.argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
