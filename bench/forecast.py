"""The capacity forecast's back-test on the demo's invented history (issue 22, decision 0020): per care, the mean
absolute error per week of the forecast and of two naive baselines (the mean of the last 4 weeks, the same week last
year), on the same weeks; exits non-zero when the forecast does not beat both.

`make bench` runs it (bench/__main__.py calls `bench_forecast`); alone, on a throwaway database:

    python3 scripts/pg_cluster.py -- .venv/bin/python -m bench.forecast
"""

from __future__ import annotations

import sys
import time


def bench_forecast() -> bool:
    """Prints the table; True when the forecast beats both baselines for every care."""
    from django.utils import timezone

    from capacity.planning import back_tests_per_care
    from demo import data
    from territory.models import Cell

    cell = Cell.objects.get(slug=data.CELLS[0].slug)
    started = time.perf_counter()
    results = back_tests_per_care(cell, now=timezone.now())
    elapsed = time.perf_counter() - started
    print(f"Capacity forecast, back-test on the demo's history of {cell.name} (rolling origin, 1 to 4 weeks ahead):")
    print(f"{'care':<15} {'weeks':>6} {'forecast':>9} {'last 4 wk':>10} {'last year':>10}  beats both")
    ok = bool(results)
    for care, tested in results.items():

        def shown(value: float | None) -> str:
            return "—" if value is None else f"{value:.2f}"

        print(
            f"{care:<15} {tested.compared:>6} {shown(tested.model_mae):>9} {shown(tested.last4_mae):>10} "
            f"{shown(tested.last_year_mae):>10}  {'yes' if tested.beats_baselines else 'NO'}"
        )
        ok = ok and tested.beats_baselines
    print(f"(mean absolute error, requests per week; computed in {elapsed:.2f} s)", flush=True)
    return ok


def main() -> int:
    from bench.__main__ import prepare

    prepare()
    return 0 if bench_forecast() else 1


if __name__ == "__main__":
    sys.exit(main())
