"""The dashboard's figures over long periods, from months stored once (decision 0009, amended).

A year of a busy cell is a million rows to aggregate: too slow to read at every view of the dashboard. So the figures
of each complete Paris month (for one cell and one set of filters) are computed once by the very functions of
`figures.py` and stored as one row (`MonthFigures`); a period's figures are the sum of its stored months and of the
live figures of the days around them (the current month, a period starting mid-month). Every figure is a count or a
total (delays are totals and counts, `figures.Summary`), so the sum is exact.

A stored month is used while it is fresh: computed less than a day ago, or computed once the month was settled (more
than `SETTLED` after its end, when outcomes are recorded). Otherwise the view computes it again and stores it. The
nightly `manage.py refresh_indicators` recomputes the last thirteen months of every cell for the whole cell, so the
dashboard finds them ready; a filtered view stores its own months on first use.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from . import figures
from .figures import EffectorRow, Period, RequestMonth, Row, Scope, SlotMonth, Summary
from .models import MonthFigures
from .periods import month_period

VERSION = 1  # what a stored month holds; a row of another version is computed again
SETTLED = timedelta(days=45)  # after this, a month's outcomes are recorded (no-shows, late sessions)
FRESH = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)  # delays are stored as whole microseconds: the sums stay exact


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard reads for one period (surveys and counts of professionals apart: small tables)."""

    summary: Summary
    slot_months: list[SlotMonth]
    request_months: list[RequestMonth]
    found: dict[str, list[Row]]
    effectors: list[EffectorRow]


def live(scope: Scope, period: Period, now: datetime, *, whole: bool = True) -> Figures:
    """The figures read from the live tables: the work of one dashboard view without stored months. Not `whole`:
    the summary and the months only (the period before, which the dashboard compares with)."""
    slot_months = figures.slots_by_month(scope, period, now)
    request_months = figures.requests_by_month(scope, period)
    return Figures(
        summary=figures.summary(scope, period, now, request_months, slot_months),
        slot_months=slot_months,
        request_months=request_months,
        found=figures.requests_by_all(scope, period) if whole else {},
        effectors=figures.slots_per_effector(scope, period) if whole else [],
    )


def merge(parts: list[Figures]) -> Figures:
    """The figures of consecutive periods as one: counts and totals add up; rows of the same key are added."""
    if len(parts) == 1:
        return parts[0]
    totals: dict[str, Any] = {}
    for field in fields(Summary):
        values = [getattr(part.summary, field.name) for part in parts]
        totals[field.name] = sum(values[1:], start=values[0])
    found: dict[str, dict[str, int]] = {}
    effectors: dict[int, list[Any]] = {}
    for part in parts:
        for dimension, rows in part.found.items():
            counts = found.setdefault(dimension, defaultdict(int))  # a dimension with no row is still one
            for row in rows:
                counts[row.key] += row.count
        for effector in part.effectors:
            known = effectors.setdefault(effector.pk, [effector.professional, 0, 0])
            known[1] += effector.offered
            known[2] += effector.taken
    slot_months = sorted((m for part in parts for m in part.slot_months), key=lambda m: (m.month, m.care_channel))
    request_months = sorted((m for part in parts for m in part.request_months), key=lambda m: m.month)
    return Figures(
        summary=Summary(**totals),
        slot_months=slot_months,
        request_months=request_months,
        found={
            dimension: sorted((Row(key, count) for key, count in counts.items()), key=lambda r: (-r.count, r.key))
            for dimension, counts in found.items()
        },
        effectors=sorted(
            (EffectorRow(name, offered, taken, pk) for pk, (name, offered, taken) in effectors.items()),
            key=lambda e: (-e.offered, e.professional),
        ),
    )


def scope_key(scope: Scope) -> str:
    """The filters of a scope, as stored beside its months ("" for the whole cell)."""
    parts = {
        "territory": scope.territory.pk if scope.territory is not None else None,
        "care_channel": scope.care_channel,
        "modality": scope.modality,
        "site": scope.site.pk if scope.site is not None else None,
        "professional": scope.professional.pk if scope.professional is not None else None,
    }
    kept = {name: value for name, value in parts.items() if value}
    return json.dumps(kept, sort_keys=True) if kept else ""


def split(period: Period, now: datetime) -> tuple[list[Period], list[date]]:
    """The period as live stretches and whole months that can be stored: months entirely inside the period and over
    by `now` (Paris time)."""
    stored: list[date] = []
    month = period.first.replace(day=1)
    while month <= period.last:
        whole = month_period(month)
        if whole.first >= period.first and whole.last <= period.last and whole.ends <= now:
            stored.append(month)
        month = whole.last + timedelta(days=1)
    if not stored:
        return [period], []
    stretches = []
    if period.first < stored[0]:
        stretches.append(Period(period.first, stored[0] - timedelta(days=1)))
    last_stored = month_period(stored[-1]).last
    if last_stored < period.last:
        stretches.append(Period(last_stored + timedelta(days=1), period.last))
    return stretches, stored


def for_period(scope: Scope, period: Period, now: datetime, *, whole: bool = True) -> Figures:
    """The period's figures: stored months where fresh (computed whole and stored here otherwise), live days around
    (not `whole`: their summary and months only)."""
    stretches, months = split(period, now)
    parts = [live(scope, stretch, now, whole=whole) for stretch in stretches]
    if months:
        key = scope_key(scope)
        rows = {
            row.month: row
            for row in MonthFigures.objects.filter(cell=scope.cell, scope=key, month__in=months, version=VERSION)
        }
        missing = []
        for month in months:
            row = rows.get(month)
            if row is not None and is_fresh(row, now):
                parts.append(decode(row.figures))
            else:
                computed = live(scope, month_period(month), now)
                parts.append(computed)
                missing.append(MonthFigures(cell=scope.cell, month=month, scope=key, figures=encode(computed)))
        if missing:
            store(missing, now)
    return merge(parts)


def is_fresh(row: MonthFigures, now: datetime) -> bool:
    return row.computed_at >= now - FRESH or row.computed_at >= month_period(row.month).ends + SETTLED


def store(rows: list[MonthFigures], now: datetime) -> None:
    for row in rows:
        row.computed_at, row.version = now, VERSION
    # Two views computing the same month at once both write it: the last one stays (they computed the same thing).
    MonthFigures.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["cell", "month", "scope"],
        update_fields=["figures", "computed_at", "version"],
    )


def refresh(cell: Any, now: datetime, months: int = 13) -> int:
    """Compute and store the last `months` complete months of the whole cell (the nightly job); returns how many."""
    scope = Scope(cell)
    current = now.astimezone(figures.PARIS).date().replace(day=1)
    wanted = []
    month = current
    for _ in range(months):
        month = (month - timedelta(days=1)).replace(day=1)
        wanted.append(month)
    store(
        [MonthFigures(cell=cell, month=m, scope="", figures=encode(live(scope, month_period(m), now))) for m in wanted],
        now,
    )
    return len(wanted)


def encode(found: Figures) -> dict[str, Any]:
    summary = {
        name: value // MICROSECOND if isinstance(value, timedelta) else value
        for name, value in asdict(found.summary).items()
    }
    return {
        "summary": summary,
        "slot_months": [
            [m.month.isoformat(), m.care_channel, m.offered, m.taken, m.not_taken, m.upcoming]
            for m in found.slot_months
        ],
        "request_months": [
            [m.month.isoformat(), m.received, m.oriented, m.reoriented, m.closed, m.er_avoided]
            for m in found.request_months
        ],
        "found": {dimension: [[r.key, r.count] for r in rows] for dimension, rows in found.found.items()},
        "effectors": [[e.professional, e.offered, e.taken, e.pk] for e in found.effectors],
    }


def decode(data: dict[str, Any]) -> Figures:
    durations = {f.name for f in fields(Summary) if f.type in ("timedelta", timedelta)}
    summary = Summary(
        **{name: value * MICROSECOND if name in durations else value for name, value in data["summary"].items()}
    )
    return Figures(
        summary=summary,
        slot_months=[SlotMonth(date.fromisoformat(m[0]), *m[1:]) for m in data["slot_months"]],
        request_months=[RequestMonth(date.fromisoformat(m[0]), *m[1:]) for m in data["request_months"]],
        found={dimension: [Row(key, count) for key, count in rows] for dimension, rows in data["found"].items()},
        effectors=[EffectorRow(*e) for e in data["effectors"]],
    )
