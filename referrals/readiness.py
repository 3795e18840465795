"""Whether a request is ready to be booked by a batch tool: the placement assistant and the freed-slot proposals.

A coordinator booking by hand from the request's page decides for themselves; a tool that books many at once (and
sends each patient an SMS) only books a request the cell has worked through:

- the patient was reached: a callback with the "reached" outcome. When the requester answers for the patient
  (`requester_answers`: a nursing home, a child, a language barrier) the patient is never called nor sent an SMS,
  and the requester who sent the request, with the patient's details and the answers to give, is the one the cell
  deals with: the request counts as reached;
- it was qualified, and its latest qualification raised no red flag (a red flag means "call the 15", not a slot);
- the supervising doctor is not being waited for: no question without an answer (nor the "waiting for the
  supervisor" status), and no answer a coordinator has not read yet (it may say "call the 15" or "reorient").

`with_readiness` annotates a queryset with what the rule reads (one query for many requests, the subqueries in
it); `readiness` gives the answer for one request, from those annotations when present, else in one query (the
booking calls it under the request's row lock, so a question asked after the proposal is seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .models import Callback, CallbackOutcome, Qualification, Request, SupervisorQuestion
from .states import Status

NOT_REACHED = _("patient not reached yet")
NOT_QUALIFIED = _("not qualified")
RED_FLAG = _("red flag at the qualification: call the 15")
WAITING_SUPERVISOR = _("waiting for the supervising doctor")
ANSWER_UNREAD = _("the supervising doctor's answer is not read yet")
NOT_READY = _("This request is not ready to be booked from a proposal: %(reasons)s.")

_FIELDS = (
    "readiness_reached",
    "readiness_qualified",
    "readiness_red_flags",
    "readiness_question_open",
    "readiness_answer_unread",
)


@dataclass(frozen=True)
class Readiness:
    """Ready when there is no reason against; the reasons in the order a coordinator deals with them."""

    reasons: tuple[StrOrPromise, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.reasons

    def __bool__(self) -> bool:
        return self.ready

    @property
    def reason(self) -> str:
        """The reasons in words, for a page or an error message."""
        return ", ".join(str(reason) for reason in self.reasons)


READY = Readiness()


def with_readiness(requests: QuerySet[Request]) -> QuerySet[Request]:
    """These requests with what `readiness` reads, in the same query."""
    latest = Qualification.objects.filter(request=OuterRef("pk")).order_by("-at", "-pk")
    questions = SupervisorQuestion.objects.filter(request=OuterRef("pk"))
    return requests.annotate(
        readiness_reached=Exists(Callback.objects.filter(request=OuterRef("pk"), outcome=CallbackOutcome.REACHED)),
        readiness_qualified=Exists(latest),
        readiness_red_flags=Subquery(latest.values("red_flags")[:1]),
        readiness_question_open=Exists(questions.filter(answered_at__isnull=True)),
        readiness_answer_unread=Exists(questions.filter(answered_at__isnull=False, read_at__isnull=True)),
    )


def _decide(request: Request, values: dict[str, Any]) -> Readiness:
    reasons: list[StrOrPromise] = []
    if request.status == Status.WAITING_SUPERVISOR or values["readiness_question_open"]:
        reasons.append(WAITING_SUPERVISOR)
    elif values["readiness_answer_unread"]:
        reasons.append(ANSWER_UNREAD)
    if not (values["readiness_reached"] or request.requester_answers):
        reasons.append(NOT_REACHED)
    if not values["readiness_qualified"]:
        reasons.append(NOT_QUALIFIED)
    elif values["readiness_red_flags"]:
        reasons.append(RED_FLAG)
    return Readiness(tuple(reasons)) if reasons else READY


def readiness(request: Request) -> Readiness:
    """Is this request ready to be booked by a batch tool, and if not, why. Reads the annotations of
    `with_readiness` when the request carries them (no query), else the database (one query)."""
    if all(hasattr(request, name) for name in _FIELDS):
        values = {name: getattr(request, name) for name in _FIELDS}
    else:
        values = with_readiness(Request.objects.filter(pk=request.pk)).values(*_FIELDS).get()
    return _decide(request, values)
