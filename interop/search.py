"""The INT_R04 Slot search of the SAS platform, parsed and checked before any query (guide, "Recherche des créneaux").

`GET [base]/Slot?_include=Slot:schedule&_include:iterate=Schedule:actor&_include=Slot:service-type-reference
&_include:iterate=HealthcareService:organization&start=ge…&start=le…
&schedule.actor:Practitioner.identifier=urn:oid:1.2.250.1.71.4.2.1|8…,…&status=free`
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.http import QueryDict
from django.utils.translation import gettext_lazy

from common.periods import PARIS

from .codes import IDNPS
from .http import FhirError, issue

MAX_PRACTITIONERS = 25
MAX_WINDOW = timedelta(days=31)
# Page size: the guide's own searches ask `_count=1000` (its Bundle examples' `self` links) and read one answer within
# the platform's 7-second timeout (guide, "Annexes": 1 to 25 professionals per call); nothing in it says the platform
# follows `next`. So a search without `_count` gets the same 1000, and no more than 1000 are served in one page: a
# client that wants less asks `_count`, and follows the Bundle's `next` link (`_page`) for the rest, as FHIR does.
DEFAULT_COUNT = 1000
MAX_COUNT = 1000

ACTOR_PARAM = "schedule.actor:Practitioner.identifier"
INCLUDES = {"Slot:schedule", "Slot:service-type-reference"}
ITERATE_INCLUDES = {"Schedule:actor", "HealthcareService:organization"}

START_REQUIRED = gettext_lazy("Both start=ge… and start=le… are required.")
START_INVALID = gettext_lazy(
    "Not a FHIR date: %(value)s (expected e.g. ge2024-06-12T16:20:00.000+02:00, prefix ge, gt, le or lt)."
)
START_ORDER = gettext_lazy("The end of the window is before its start.")
WINDOW_TOO_LONG = gettext_lazy("The window is longer than %(days)s days.")
ACTOR_REQUIRED = gettext_lazy("At least one practitioner is required: schedule.actor:Practitioner.identifier.")
ACTOR_TOO_MANY = gettext_lazy("At most %(max)s practitioners per search (%(count)s given).")
ACTOR_SYSTEM = gettext_lazy("Unknown identifier system %(system)s: only urn:oid:1.2.250.1.71.4.2.1 (IDNPS).")
ACTOR_INVALID = gettext_lazy("Not a national identifier of a professional: %(value)s (8 + RPPS or 0 + ADELI).")
STATUS_REQUIRED = gettext_lazy("status=free is required.")
STATUS_FREE_ONLY = gettext_lazy("Only free slots are published: status=free.")
INCLUDE_UNKNOWN = gettext_lazy("Unsupported include: %(value)s.")
COUNT_INVALID = gettext_lazy("_count must be a whole number from 0 to %(max)s.")
PAGE_INVALID = gettext_lazy("_page must be a whole number from 1.")

_DATE = re.compile(
    r"^(?P<prefix>ge|gt|le|lt|eq)?(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(?P<tz>Z|[+-]\d{2}:\d{2})?)?$"
)
_RPPS = re.compile(r"^8\d{11}$")
_ADELI = re.compile(r"^0[0-9A-Za-z]{9}$")


@dataclass(frozen=True)
class SlotSearch:
    starts_from: datetime
    starts_until: datetime
    rpps: frozenset[str]
    adeli: frozenset[str]
    include_schedule: bool
    include_actors: bool
    include_service: bool
    include_organization: bool
    count: int = DEFAULT_COUNT
    page: int = 1
    identifiers: tuple[str, ...] = field(default=())


def _parse_date(raw: str, expression: str) -> tuple[str, datetime]:
    # A `+` of the offset arrives as a space when the client did not percent-encode it (the guide's own example).
    value = raw.strip().replace(" ", "+")
    match = _DATE.match(value)
    if match is None:
        raise FhirError(400, str(START_INVALID % {"value": raw}), expression=expression)
    prefix = match["prefix"] or "eq"
    try:
        day = date.fromisoformat(match["date"])
        if match["time"] is None:
            # A day without time: from its first instant (ge/gt) or to its last (le/lt), in Paris.
            start = datetime.combine(day, time(0), tzinfo=PARIS)
            moment = start + timedelta(days=1) - timedelta(microseconds=1) if prefix in ("le", "gt") else start
        else:
            clock = time.fromisoformat(match["time"][:15])
            tz = match["tz"]
            naive = datetime.combine(day, clock)
            if tz is None:
                moment = naive.replace(tzinfo=PARIS)
            else:
                moment = datetime.fromisoformat(f"{naive.isoformat()}{'+00:00' if tz == 'Z' else tz}")
    except ValueError as error:
        raise FhirError(400, str(START_INVALID % {"value": raw}), expression=expression) from error
    return prefix, moment


def _window(values: list[str]) -> tuple[datetime, datetime]:
    lower: datetime | None = None
    upper: datetime | None = None
    for raw in values:
        prefix, moment = _parse_date(raw, "start")
        if prefix in ("ge", "gt"):
            lower = moment if prefix == "ge" else moment + timedelta(microseconds=1)
        elif prefix in ("le", "lt"):
            upper = moment if prefix == "le" else moment - timedelta(microseconds=1)
        else:
            raise FhirError(400, str(START_INVALID % {"value": raw}), expression="start")
    if lower is None or upper is None:
        raise FhirError(400, str(START_REQUIRED), expression="start")
    lower, upper = lower.astimezone(UTC), upper.astimezone(UTC)  # elapsed time, whatever the clock changes
    if upper < lower:
        raise FhirError(400, str(START_ORDER), expression="start")
    # Counted in Paris calendar days, so that a whole month is one window whatever the clock changes within it.
    if (upper.astimezone(PARIS).date() - lower.astimezone(PARIS).date()) > MAX_WINDOW:
        raise FhirError(400, str(WINDOW_TOO_LONG % {"days": MAX_WINDOW.days}), expression="start")
    return lower, upper


def _identifiers(values: list[str]) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    tokens = [token.strip() for value in values for token in value.split(",") if token.strip()]
    if not tokens:
        raise FhirError(400, str(ACTOR_REQUIRED), expression=ACTOR_PARAM)
    if len(tokens) > MAX_PRACTITIONERS:
        raise FhirError(
            400, str(ACTOR_TOO_MANY % {"max": MAX_PRACTITIONERS, "count": len(tokens)}), expression=ACTOR_PARAM
        )
    rpps, adeli, problems = set(), set(), []
    for token in tokens:
        system, sep, value = token.rpartition("|")
        if sep and system and system != IDNPS:
            problems.append(issue(str(ACTOR_SYSTEM % {"system": system}), expression=ACTOR_PARAM))
        elif _RPPS.match(value):
            rpps.add(value[1:])
        elif _ADELI.match(value):
            adeli.add(value[1:])
        else:
            problems.append(issue(str(ACTOR_INVALID % {"value": value}), expression=ACTOR_PARAM))
    if problems:
        raise FhirError.many(400, problems)
    return frozenset(rpps), frozenset(adeli), tuple(tokens)


def _whole(raw: str | None, *, default: int, low: int, high: int, message: str, expression: str) -> int:
    if raw is None:
        return default
    if not raw.isdecimal() or not raw.isascii() or not low <= int(raw) <= high:
        raise FhirError(400, message, expression=expression)
    return int(raw)


def parse_slot_search(query: QueryDict) -> SlotSearch:
    """The search's parameters, or a FhirError (400) naming each bad one."""
    statuses = [token for value in query.getlist("status") for token in value.split(",") if token]
    if not statuses:
        raise FhirError(400, str(STATUS_REQUIRED), expression="status")
    if set(statuses) != {"free"}:
        raise FhirError(400, str(STATUS_FREE_ONLY), expression="status")
    includes = set(query.getlist("_include"))
    iterates = set(query.getlist("_include:iterate"))
    for value in sorted((includes - INCLUDES) | (iterates - ITERATE_INCLUDES - INCLUDES)):
        raise FhirError(400, str(INCLUDE_UNKNOWN % {"value": value}), expression="_include")
    starts_from, starts_until = _window(query.getlist("start"))
    rpps, adeli, identifiers = _identifiers(query.getlist(ACTOR_PARAM))
    count = _whole(
        query.get("_count"),
        default=DEFAULT_COUNT,
        low=0,
        high=MAX_COUNT,
        message=str(COUNT_INVALID % {"max": MAX_COUNT}),
        expression="_count",
    )
    page = _whole(query.get("_page"), default=1, low=1, high=10**6, message=str(PAGE_INVALID), expression="_page")
    every = includes | iterates
    include_schedule = "Slot:schedule" in every
    include_service = "Slot:service-type-reference" in every
    return SlotSearch(
        starts_from=starts_from,
        starts_until=starts_until,
        rpps=rpps,
        adeli=adeli,
        include_schedule=include_schedule,
        # Iterated includes follow what the first level brought in.
        include_actors=include_schedule and "Schedule:actor" in every,
        include_service=include_service,
        include_organization=include_service and "HealthcareService:organization" in every,
        count=count,
        page=page,
        identifiers=identifiers,
    )
