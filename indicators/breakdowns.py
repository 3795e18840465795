"""The requests of a period broken down as the ACI's *dialogue de gestion* asks (issue 22): by the patient's MT
situation, by origin (the SAS named as such), by age band at reception, by commune and priority neighbourhood (QPV),
the distinct patients behind them, and the professionals who took part. Each is one SQL aggregation over the period's
requests (`figures.Scope`), whatever their number; Python only shapes the few rows that come back.

Age at reception: the patient's age on the Paris day the request was received, in whole years, computed in SQL from
both dates written as YYYYMMDD numbers (received − born ≥ N × 10000 ⇔ N full years reached): portable to SQLite and
PostgreSQL, exact around birthdays; someone born on 29 February reaches a new age on 1 March in common years.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case as CaseExpression
from django.db.models import (
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Replace, TruncDate
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role
from agenda.models import Slot, SlotStatus
from common.periods import PARIS
from directory.models import Professional
from referrals.models import MTSituation
from territory import qpv

from . import origins
from .figures import Period, Row, Scope

UNKNOWN = ""

# Age bands, in full years at reception: under 2 (infants, a paediatric concern), then the classic bands of the
# INSEE / DREES publications, whose sums give the bands of the emergency departments' summaries (OSCOUR / RPU:
# under 15, 15–74, 75 and over) that an ARS compares unscheduled care with.
AGE_BANDS: tuple[tuple[str, int, int | None, Any], ...] = (
    ("0-1", 0, 2, gettext_lazy("Under 2")),
    ("2-14", 2, 15, gettext_lazy("2 to 14")),
    ("15-24", 15, 25, gettext_lazy("15 to 24")),
    ("25-44", 25, 45, gettext_lazy("25 to 44")),
    ("45-64", 45, 65, gettext_lazy("45 to 64")),
    ("65-74", 65, 75, gettext_lazy("65 to 74")),
    ("75+", 75, None, gettext_lazy("75 and over")),
)
AGE_UNKNOWN_LABEL = gettext_lazy("Date of birth not given")


def by_mt_situation(scope: Scope, period: Period) -> list[Row]:
    """Every MT situation, in the choices' order (a situation with no request has a row of 0)."""
    counts = scope.requests(period).aggregate(
        **{code: Count("pk", filter=Q(mt_situation=code)) for code in MTSituation.values}
    )
    return [Row(code, counts[code]) for code in MTSituation.values]


def by_origin(scope: Scope, period: Period) -> list[Row]:
    """Origins, the most first; the SAS is "sas" (see `origins`)."""
    rows = (
        scope.requests(period)
        .annotate(key=origins.origin_key())
        .values("key")
        .annotate(count=Count("pk"))
        .order_by("-count", "key")
    )
    return [Row(r["key"] or UNKNOWN, r["count"]) for r in rows]


def _yyyymmdd(day: Any) -> Cast:
    """A date as the number YYYYMMDD: its ISO text without the dashes (both databases write dates as YYYY-MM-DD),
    which costs SQLite no Python function per row, unlike extracting the year, month and day."""
    return Cast(Replace(Cast(day, CharField()), Value("-"), Value("")), IntegerField())


def age_at_reception() -> ExpressionWrapper:
    """received (Paris date) − birth date, both as YYYYMMDD numbers: the age in full years is this // 10000."""
    received = _yyyymmdd(TruncDate("received_at", tzinfo=PARIS))
    return ExpressionWrapper(received - _yyyymmdd(F("patient_birth_date")), output_field=IntegerField())


def by_age_band(scope: Scope, period: Period) -> list[Row]:
    """Every band in order, then the requests whose date of birth is not given (or falls after the reception)."""
    counts: dict[str, Any] = {}
    for code, low, high, _label in AGE_BANDS:
        condition = Q(patient_birth_date__isnull=False, age__gte=low * 10000)
        if high is not None:
            condition &= Q(age__lt=high * 10000)
        counts[code] = Count("pk", filter=condition)
    counts["total"] = Count("pk")
    found = scope.requests(period).annotate(age=age_at_reception()).aggregate(**counts)
    rows = [Row(code, found[code]) for code, *_rest in AGE_BANDS]
    rows.append(Row(UNKNOWN, found["total"] - sum(row.count for row in rows)))
    return rows


@dataclass(frozen=True)
class CommuneRow:
    insee_code: str
    name: str
    count: int
    has_qpv: bool
    covered: bool  # whether the shipped QPV list covers the commune's department


def by_commune(scope: Scope, period: Period) -> list[CommuneRow]:
    """The patients' communes, the most requests first."""
    rows = (
        scope.requests(period)
        .values("patient_commune__insee_code", "patient_commune__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "patient_commune__name")
    )
    with_qpv = qpv.communes_with_qpv()
    return [
        CommuneRow(
            r["patient_commune__insee_code"],
            r["patient_commune__name"],
            r["count"],
            r["patient_commune__insee_code"] in with_qpv,
            qpv.is_covered(r["patient_commune__insee_code"]),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class QpvSplit:
    in_qpv_commune: int  # requests of patients living in a commune that holds a QPV
    elsewhere: int  # in a commune of a covered department without a QPV
    not_covered: int  # in a commune the shipped list does not cover (unknown)
    cell_qpvs: tuple[qpv.Qpv, ...]  # the QPV of the cell's territory communes
    territory_covered: bool  # whether the shipped list covers every commune of the cell's territory

    @property
    def total(self) -> int:
        return self.in_qpv_commune + self.elsewhere + self.not_covered


def qpv_split(scope: Scope, communes: list[CommuneRow]) -> QpvSplit:
    """From the commune rows (no further query on requests), and the QPV of the cell's own communes (one query)."""
    territory_codes = {
        code
        for code in (
            scope.cell.territories.values_list("communes__insee_code", flat=True)
            if scope.territory is None
            else scope.territory.communes.values_list("insee_code", flat=True)
        )
        if code
    }
    by_commune_qpvs = qpv.qpv_by_commune()
    cell_qpvs = tuple(
        sorted(
            (each for code in territory_codes for each in by_commune_qpvs.get(code, ())),
            key=lambda each: (each.commune_name, each.code),
        )
    )
    return QpvSplit(
        in_qpv_commune=sum(row.count for row in communes if row.has_qpv),
        elsewhere=sum(row.count for row in communes if row.covered and not row.has_qpv),
        not_covered=sum(row.count for row in communes if not row.covered),
        cell_qpvs=cell_qpvs,
        territory_covered=all(qpv.is_covered(code) for code in territory_codes),
    )


def patient_key() -> CaseExpression:
    """Who a request is for, as one string: anonymised requests each on their own; else the normalised name with the
    date of birth; without a date of birth, the name with the commune."""
    return CaseExpression(
        When(anonymised_at__isnull=False, then=Concat(Value("#"), Cast("pk", CharField()))),
        When(
            patient_birth_date__isnull=False,
            then=Concat(F("patient_search_name"), Value("|"), Cast("patient_birth_date", CharField())),
        ),
        default=Concat(F("patient_search_name"), Value("|c"), Cast("patient_commune_id", CharField())),
        output_field=CharField(),
    )


def distinct_patients(scope: Scope, period: Period) -> int:
    found = scope.requests(period).annotate(person=patient_key()).aggregate(n=Count("person", distinct=True))
    return int(found["n"])


@dataclass(frozen=True)
class ProfessionRow:
    profession: str
    count: int  # professionals taking part (see `participants`)
    cpts_adherents: int  # of whom marked "CPTS adherent" in the directory


def participants(scope: Scope, period: Period) -> list[ProfessionRow]:
    """The cell's active professionals taking part in its SNP organisation: those with an active effector role in
    the cell, or who offered at least one slot (not withdrawn) starting in the period; by profession."""
    effector = Membership.objects.filter(
        cell=scope.cell, role=Role.EFFECTOR, is_active=True, professional=OuterRef("pk")
    )
    offered = Slot.objects.filter(
        cell=scope.cell,
        professional=OuterRef("pk"),
        status=SlotStatus.OPEN,
        starts_at__gte=period.starts,
        starts_at__lt=period.ends,
    )
    rows = (
        Professional.objects.filter(cell=scope.cell, is_active=True)
        .filter(Q(Exists(effector)) | Q(Exists(offered)))
        .values("profession")
        .annotate(count=Count("pk"), adherents=Count("pk", filter=Q(is_adherent=True)))
        .order_by("-count", "profession")
    )
    return [ProfessionRow(r["profession"], r["count"], r["adherents"]) for r in rows]


def age_on(day: date, born: date) -> int:
    """The same rule in Python, for the tests and the method page's example."""
    return (day.year * 10000 + day.month * 100 + day.day - (born.year * 10000 + born.month * 100 + born.day)) // 10000
