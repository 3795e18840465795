"""Finding any request of the cell, open or finished: a patient who calls back is found by name, reference, phone,
date of birth or the day the request came in.

The text typed is read three ways at once: as words of the patient's name (accents, case and word order aside), as
the beginning of a request reference ("d26-0001"), and, when it is a phone number in any written form, as the
patient's phone. An anonymised request has no name nor phone left: it is found only by its reference.

On PostgreSQL a trigram index (pg_trgm, migration 0009) finds a part of a name without reading every request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.db.models.enums import TextChoices
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership
from common.periods import PARIS
from common.phones import phone_e164
from common.text import normalize

from .models import Request
from .states import OPEN

# Only digits and what people write between them: "06 12 34 56 78", "+33 (0)6.12.34.56.78", "0033-612345678".
_PHONE_LIKE = re.compile(r"^[\d\s+().\-/]+$")
_MIN_PHONE_DIGITS = 6


class StatusGroup(TextChoices):
    ALL = "all", _("All requests")
    OPEN = "open", _("Open requests (in the queue)")
    FINISHED = "finished", _("Finished requests")


@dataclass(frozen=True)
class RequestSearch:
    text: str = ""
    birth_date: date | None = None
    received_from: date | None = None  # Europe/Paris days, both included
    received_to: date | None = None
    status: str = StatusGroup.ALL

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: the status alone would list the whole cell, which is not a search."""
        return not (self.text.strip() or self.birth_date or self.received_from or self.received_to)


def _phone(text: str) -> str:
    """The number in E.164 when the text is a phone number, else ""."""
    if not _PHONE_LIKE.match(text) or sum(c.isdigit() for c in text) < _MIN_PHONE_DIGITS:
        return ""
    try:
        return phone_e164(text)
    except ValueError:
        return ""


def _text_match(text: str) -> Q:
    has_letter, has_digit = any(c.isalpha() for c in text), any(c.isdigit() for c in text)
    branches = []
    if has_letter and has_digit:
        # A reference ("D26-000123") has both. The service writes it in capitals: comparing with the capitalised
        # text is case-insensitive and keeps the index usable (an UPPER() on the column would not).
        reference = "".join(text.split()).upper()
        branches.append(Q(reference__startswith=reference) if len(reference) >= 3 else Q(reference=reference))
    phone = _phone(text)
    if phone:
        branches.append(Q(patient_phone=phone, anonymised_at__isnull=True))
    elif has_letter:  # a number is not a name: no search of every name for it
        name = Q(anonymised_at__isnull=True)
        for word in normalize(text).split():
            name &= Q(patient_search_name__contains=word)
        branches.append(name)
    if not branches:  # part of a number, punctuation: nothing to look for
        return Q(pk__in=[])
    match = branches[0]
    for branch in branches[1:]:
        match |= branch
    return match


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARIS)


def request_search(membership: Membership, search: RequestSearch) -> QuerySet[Request]:
    """The cell's requests matching every criterion given, most recent first; none when nothing is asked."""
    requests = Request.objects.filter(cell=membership.cell_id)
    if search.is_empty:
        return requests.none()
    text = " ".join(search.text.split())
    # A search by dates alone lists patients: an anonymised request has none to show.
    requests = requests.filter(_text_match(text) if text else Q(anonymised_at__isnull=True))
    if search.birth_date:
        requests = requests.filter(patient_birth_date=search.birth_date)
    if search.received_from:
        requests = requests.filter(received_at__gte=_day_start(search.received_from))
    if search.received_to:
        requests = requests.filter(received_at__lt=_day_start(search.received_to + timedelta(days=1)))
    if search.status == StatusGroup.OPEN:
        requests = requests.filter(status__in=OPEN)
    elif search.status == StatusGroup.FINISHED:
        requests = requests.exclude(status__in=OPEN)
    return requests.select_related("patient_commune").order_by("-received_at", "-pk")


# Beyond this many matches the page says "more than": the patient is one among them, the search must be narrowed.
COUNTED = 200


@dataclass(frozen=True)
class SearchPage:
    """One page of the matches, the most recent first; `total` counts them up to COUNTED (`more` beyond)."""

    requests: list[Request]
    number: int
    per_page: int
    total: int
    more: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _page_number(value: object, pages: int) -> int:
    text = str(value or "")
    return min(max(int(text), 1), pages) if text.isdigit() and len(text) < 6 else 1


def search_page(membership: Membership, search: RequestSearch, *, page: object, per_page: int) -> SearchPage:
    """A page of `request_search`, in two queries whatever the number of matches: a bounded count, then the rows."""
    matched = request_search(membership, search)
    total = matched.order_by()[: COUNTED + 1].count()
    more = total > COUNTED
    total = min(total, COUNTED)
    number = _page_number(page, max(1, -(-total // per_page)))
    if not more:
        # Few matches: sort them. Ordered by the indexed date, PostgreSQL would read the cell backwards from today
        # hoping to meet them soon, through every request of the cell for a patient seen once, months ago.
        matched = matched.order_by(Coalesce("received_at", "deadline_at").desc(), "-pk")
    rows = list(matched[(number - 1) * per_page : min(number * per_page, total)]) if total else []
    return SearchPage(requests=rows, number=number, per_page=per_page, total=total, more=more)
