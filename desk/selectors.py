"""The desk's reads: what the request page shows, gathered from the requests, the agenda and the messages sent."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership, Role, User
from agenda import selectors as agenda_selectors
from agenda.finder import Filters, Found, find
from agenda.models import Booking
from common.phones import takes_sms
from notifications.models import Message
from notifications.selectors import is_opted_out, messages_about
from referrals import selectors, services
from referrals.models import (
    Callback,
    DuplicateFlag,
    Qualification,
    Request,
    RequestEvent,
    SupervisorQuestion,
    Tag,
)
from referrals.services.series import SERIES_CARE
from referrals.states import FINAL, OPEN, Status, allowed

MOVE_PAGE = 8  # the slots to move a booking to, shown by eights


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class RequestPage:
    """Everything the request page shows but its forms. A requester sees their request and its timeline; whoever
    handles requests (`may_handle`) also sees the slot finder, and the cell's members its calls, questions and
    messages. The querysets are read when the page is drawn."""

    req: Request
    for_requester: bool
    age: int | None
    duplicates: list[DuplicateFlag]
    events: QuerySet[RequestEvent]
    callbacks: list[Callback]
    next_try: datetime | None
    questions: QuerySet[SupervisorQuestion] | list[SupervisorQuestion]
    question_waiting: bool
    qualifications: QuerySet[Qualification] | list[Qualification]
    tags_offered: list[Tag]  # the cell's own words (each says whether the request has it): not for the requester
    messages_sent: QuerySet[Message] | list[Message]
    patient_opted_out: bool
    patient_takes_sms: bool
    booking: Booking | None
    series: list[agenda_selectors.Session]  # a series of sessions (physiotherapy, nursing): each, booked or not
    next_session: bool  # an oriented series with a session left to book: the finder shows for it
    series_changeable: bool  # whoever handles requests may still change the number of sessions
    can_handle: bool
    can_orient: bool
    is_holder: bool
    found: Found | None
    move_found: Found | None
    # A finder the page may show but did not compute: its panel asks for itself once the page is drawn (htmx).
    finder_deferred: bool
    move_deferred: bool
    on_duty: User | None
    limit: int

    @property
    def tags(self) -> list[Tag]:
        """The request's tags, as chips."""
        return [tag for tag in self.tags_offered if getattr(tag, "on_request", False)]

    @property
    def candidates(self) -> Any:
        return self.found.candidates if self.found else None

    @property
    def move_candidates(self) -> Any:
        return self.move_found.candidates if self.move_found else None

    def as_context(self) -> dict[str, Any]:
        """The page's names for the template (its fields, and the finders' rows)."""
        context = {field.name: getattr(self, field.name) for field in fields(self)}
        context.update(candidates=self.candidates, move_candidates=self.move_candidates, tags=self.tags)
        return context

    def also_read(self) -> list[int]:
        """The other requests the page names (its possible duplicates'), for the access log."""
        return [pk for flag in self.duplicates for pk in (flag.first_id, flag.second_id) if pk != self.req.pk]


def request_page(
    request: Request,
    *,
    membership: Membership,
    user: User,
    may_handle: bool,
    now: datetime,
    finder_filters: Filters | None,
    finder_shown: int,
    move_shown: int,
    with_finder: bool,
    with_move: bool,
) -> RequestPage:
    """What sits beside a request on its page (the request as `referrals.selectors.request_for` gave it to the
    member): the finder's best slots while it may be oriented, the slots to move to once it is. The finders are
    computed only when asked for (`with_finder`, `with_move`: the page without JavaScript); otherwise the page says
    which one it may show, and its panel asks for it alone (`finder_panel`) — a view of the request costs no search."""
    cell = membership.cell
    for_requester = membership.role == Role.REQUESTER
    next_session = _next_session(request)
    can_orient = _can_orient(request, may_handle)
    can_move = _can_move(request, may_handle)
    callbacks = list(request.callbacks.select_related("by")) if not for_requester else []
    questions: QuerySet[SupervisorQuestion] | list[SupervisorQuestion] = (
        selectors.questions_of(request) if not for_requester else []
    )
    return RequestPage(
        req=request,
        for_requester=for_requester,
        age=_age(request.patient_birth_date, timezone.localdate()),
        duplicates=list(selectors.duplicates_of(request)) if not for_requester else [],
        events=selectors.timeline(request, for_requester=for_requester),
        callbacks=callbacks,
        next_try=callbacks[-1].next_try_at if callbacks and request.status in OPEN else None,
        questions=questions,
        question_waiting=any(question.answered_at is None for question in questions),
        qualifications=request.qualifications.select_related("by") if not for_requester else [],
        tags_offered=selectors.tags_offered(cell, request) if not for_requester else [],
        messages_sent=messages_about(request) if not for_requester else [],
        patient_opted_out=bool(request.patient_phone) and is_opted_out(request.cell_id, request.patient_phone.as_e164),
        patient_takes_sms=takes_sms(request.patient_phone) if request.patient_phone else False,
        booking=agenda_selectors.active_booking(request),
        series=agenda_selectors.series_of(request) if _in_series(request) else [],
        next_session=next_session,
        series_changeable=may_handle and request.status not in FINAL,
        can_handle=may_handle and request.status in OPEN,
        can_orient=can_orient,
        is_holder=request.holder_id == user.pk,
        found=find(request, now, finder_filters, finder_shown) if can_orient and with_finder else None,
        move_found=find(request, now, limit=move_shown, page=MOVE_PAGE) if can_move and with_move else None,
        finder_deferred=can_orient and not with_finder,
        move_deferred=can_move and not with_move,
        on_duty=services.supervisor_on_duty(cell) if not for_requester else None,
        limit=selectors.settings_for(cell).max_failed_callbacks,
    )


def _next_session(request: Request) -> bool:
    return request.status == Status.ORIENTED and request.sessions_taken < request.sessions


def _can_orient(request: Request, may_handle: bool) -> bool:
    return may_handle and (allowed(request.status, Status.ORIENTED) or _next_session(request))


def _can_move(request: Request, may_handle: bool) -> bool:
    return may_handle and request.status == Status.ORIENTED


@dataclass(frozen=True)
class FinderPanel:
    """One of the request page's finders alone, as its filters and its "show more" ask for it (htmx): the slots to
    book (`found`), or the slots to move the appointment to (`move_found`, with the `booking`). No patient data."""

    req: Request
    found: Found | None = None
    move_found: Found | None = None
    booking: Booking | None = None

    def as_context(self) -> dict[str, Any]:
        return {
            "req": self.req,
            "found": self.found,
            "candidates": self.found.candidates if self.found else None,
            "move_found": self.move_found,
            "move_candidates": self.move_found.candidates if self.move_found else None,
            "booking": self.booking,
        }


def finder_panel(
    request: Request,
    *,
    may_handle: bool,
    now: datetime,
    moving: bool,
    finder_filters: Filters | None,
    finder_shown: int,
    move_shown: int,
) -> FinderPanel:
    """The finder the request page's panel shows (`moving`: the slots to move to), computed as `request_page` does, and
    nothing else of the page."""
    if moving:
        if not _can_move(request, may_handle):
            return FinderPanel(req=request)
        found = find(request, now, limit=move_shown, page=MOVE_PAGE)
        return FinderPanel(req=request, move_found=found, booking=agenda_selectors.active_booking(request))
    if not _can_orient(request, may_handle):
        return FinderPanel(req=request)
    return FinderPanel(req=request, found=find(request, now, finder_filters, finder_shown))


def _in_series(request: Request) -> bool:
    """The request's care comes in a series of sessions, or it already has one: the page shows its sessions."""
    return request.sessions > 1 or request.care_channel in SERIES_CARE
