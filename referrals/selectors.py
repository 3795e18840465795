"""Reads of requests, always within one cell, and for a requester only what they (or their structure) sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, Window
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role
from common.text import normalize
from directory.models import ReorientationResource
from territory.models import Cell, Territory

from .deadlines import RED_BELOW
from .models import (
    Callback,
    CareChannel,
    DuplicateFlag,
    DutyShift,
    Partner,
    ProtocolQuestion,
    ProtocolRule,
    ReferralSettings,
    Request,
    RequestEvent,
    SupervisorQuestion,
    Tag,
    Urgency,
)
from .states import OPEN, Status

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.SUPERVISOR, Role.CELL_ADMIN})


def _badges() -> dict[str, Exists]:
    """The badges a request's row or page shows, as expressions over the request (`OuterRef`)."""
    in_territory = Territory.objects.filter(cell=OuterRef("cell"), communes=OuterRef("patient_commune"))
    pending_duplicate = DuplicateFlag.objects.filter(
        Q(first=OuterRef("pk")) | Q(second=OuterRef("pk")), decision=DuplicateFlag.Decision.PENDING
    )
    answer_unread = SupervisorQuestion.objects.filter(
        request=OuterRef("pk"), answered_at__isnull=False, read_at__isnull=True
    )
    return {
        "in_territory": Exists(in_territory),
        "possible_duplicate": Exists(pending_duplicate),
        "answer_waiting": Exists(answer_unread),
    }


def _with_badges(requests: QuerySet[Request]) -> QuerySet[Request]:
    return requests.select_related("patient_commune", "holder", "requester_professional", "requester_site").annotate(
        **_badges()
    )


def _with_queue_columns(requests: QuerySet[Request]) -> QuerySet[Request]:
    return _with_badges(requests).annotate(callback_count=Count("callbacks", distinct=True))


# The queue: the open requests, and the oriented series with a session left to book (referrals.services.series).
IN_QUEUE = Q(status__in=OPEN) | Q(status=Status.ORIENTED, sessions_taken__lt=F("sessions"))


# The queue's deadline filter: open requests whose deadline has passed, or comes within the red clock's 4 hours.
DEADLINE_FILTERS = {"overdue": _("Passed"), "near": _("Less than 4 hours")}


def deadline_within(kind: str, now: datetime) -> Q:
    """Open requests past their deadline ("overdue") or due within RED_BELOW ("near"): the queue's filter, and what
    "Ce qui vous attend" counts."""
    if kind == "near":
        return Q(status__in=OPEN, deadline_at__gte=now, deadline_at__lt=now + RED_BELOW)
    return Q(status__in=OPEN, deadline_at__lt=now)


@dataclass(frozen=True)
class QueueFilters:
    q: str = ""
    status: str = ""
    care_channel: str = ""
    urgency: str = ""
    mine: bool = False
    tag: int | None = None  # one of the cell's tags (another cell's finds nothing: the requests are the cell's)
    deadline: str = ""  # DEADLINE_FILTERS: passed, or within the queue's red clock
    # Only these requests (a higher app's selection, e.g. the alerts that found nobody: desk.views.queue); None: all.
    among: tuple[int, ...] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> QueueFilters:
        """Filters from a query string; unknown values are ignored rather than failing."""

        def pick(name: str, allowed: Iterable[str]) -> str:
            value = params.get(name, "")
            return value if value in allowed else ""

        return cls(
            q=params.get("q", "")[:100],
            status=pick("status", OPEN),
            care_channel=pick("care_channel", CareChannel.values),
            urgency=pick("urgency", Urgency.values),
            mine=params.get("mine") == "1",
            tag=int(tag) if (tag := params.get("tag", "")).isdigit() and len(tag) < 12 else None,
            deadline=pick("deadline", DEADLINE_FILTERS),
        )


def queue(membership: Membership, filters: QueueFilters | None = None) -> QuerySet[Request]:
    """Open requests of the cell, most pressing deadline first."""
    return _with_queue_columns(_queue_filtered(membership, filters)).order_by(*QUEUE_ORDER)


QUEUE_ORDER = ("deadline_at", "received_at", "pk")


def _queue_filtered(membership: Membership, filters: QueueFilters | None) -> QuerySet[Request]:
    filters = filters or QueueFilters()
    requests = Request.objects.filter(IN_QUEUE, cell=membership.cell)
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.care_channel:
        requests = requests.filter(care_channel=filters.care_channel)
    if filters.urgency:
        requests = requests.filter(urgency=filters.urgency)
    if filters.mine:
        requests = requests.filter(holder=membership.user)
    if filters.deadline:
        requests = requests.filter(deadline_within(filters.deadline, timezone.now()))
    if filters.among is not None:
        requests = requests.filter(pk__in=filters.among)
    if filters.tag is not None:
        tagged = Request.tags.through.objects.filter(request=OuterRef("pk"), tag=filters.tag)
        requests = requests.filter(Exists(tagged))
    if filters.q.strip():
        text = filters.q.strip()
        requests = requests.filter(
            Q(patient_search_name__contains=normalize(text))
            | Q(reference__iexact=text)
            | Q(patient_phone__endswith=text.replace(" ", "")[-9:])
        )
    return requests


# What a queue row shows of its request (desk/views/queue.py, referrals/_queue_rows.html), as columns and annotations
# of one light query: the queue's version is these values, for the rows shown, and how many rows there are.
QUEUE_ROW_FIELDS = (
    "pk",
    "status",
    "holder_id",
    "deadline_at",
    "deadline_warned_at",
    "urgency",
    "care_channel",
    "exam_type",
    "sessions",
    "sessions_taken",
    "patient_first_name",
    "patient_last_name",
    "patient_commune_id",
    "reference",
    "channel",
    "in_territory",
    "possible_duplicate",
    "answer_waiting",
    "callback_count",
    "tag_key",
)


def _tag_term(tag_id: int) -> int:
    """A tag's part of its request's `tag_key` (the sum over its tags: another set of tags gives another sum, but for
    rare coincidences that the queue's re-render each minute corrects)."""
    return tag_id * tag_id * 31 + tag_id + 1


def queue_row_key(row: Mapping[str, object] | Request) -> tuple[object, ...]:
    """One row's values as the version counts them, from the light query's dict or from a request of `queue_with_tags`
    (its `callback_count` annotated and its tags prefetched): the same tuple either way."""
    if isinstance(row, Request):
        values: dict[str, object] = {name: getattr(row, name) for name in QUEUE_ROW_FIELDS[:-2]}
        values["callback_count"] = row.callback_count  # type: ignore[attr-defined]
        values["tag_key"] = sum(_tag_term(tag.pk) for tag in row.tags.all())
        row = values
    return tuple(
        bool(row[name]) if name in ("in_territory", "possible_duplicate", "answer_waiting") else row[name] or None
        for name in QUEUE_ROW_FIELDS
    )


def queue_rows_key(membership: Membership, filters: QueueFilters, limit: int) -> tuple[list[tuple[object, ...]], int]:
    """The first `limit` rows of the queue as `queue_row_key` gives them, and how many rows the queue has, in one query
    that builds no model instance and reads no tag (their ids come through a subquery each)."""
    callbacks = Callback.objects.filter(request=OuterRef("pk")).values("request").annotate(n=Count("pk")).values("n")
    tags = Request.tags.through.objects.filter(request=OuterRef("pk")).values("request")
    tag_key = tags.annotate(k=Sum(F("tag_id") * F("tag_id") * 31 + F("tag_id") + 1)).values("k")  # type: ignore[misc]
    rows = (
        _queue_filtered(membership, filters)
        .annotate(
            **_badges(),
            callback_count=Subquery(callbacks),
            tag_key=Subquery(tag_key),
            total=Window(Count("pk")),
        )
        .order_by(*QUEUE_ORDER)
        .values(*QUEUE_ROW_FIELDS, "total")[:limit]
    )
    found = list(rows)
    return [queue_row_key(row) for row in found], (found[0]["total"] if found else 0)


def with_tags(requests: QuerySet[Request]) -> QuerySet[Request]:
    """The requests with their tags, in name order, read in one more query however many rows (the chips)."""
    return requests.prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("key")))


def queue_with_tags(membership: Membership, filters: QueueFilters | None = None) -> QuerySet[Request]:
    """The queue as the desk shows it: each row with its tags, and only the related rows it names (the commune, the
    holder): the requester's professional and site, read for the request page, would be 400 objects more to build."""
    return with_tags(queue(membership, filters).select_related(None).select_related("patient_commune", "holder"))


def requester_scope(membership: Membership) -> Q:
    """What a requester sees: requests sent as their professional record, or for their structure."""
    scope = Q(pk__in=[])
    if membership.professional_id:
        scope |= Q(requester_professional=membership.professional_id)
    if membership.site_id:
        scope |= Q(requester_site=membership.site_id)
    return scope


def requests_sent(membership: Membership) -> QuerySet[Request]:
    requests = Request.objects.filter(requester_scope(membership), cell=membership.cell)
    return requests.select_related("patient_commune", "reoriented_to").order_by("-received_at")


def request_for(membership: Membership, pk: int) -> Request:
    """One request, if this member may see it: cell staff see the cell's, a requester only their own. Without the
    queue's count of callbacks: its GROUP BY over every joined table cost more to plan than the page's other reads."""
    requests = _with_badges(Request.objects.filter(cell=membership.cell))
    if membership.role not in STAFF_ROLES:
        if membership.role != Role.REQUESTER:
            raise Http404
        requests = requests.filter(requester_scope(membership))
    request = requests.select_related("reoriented_to", "submitted_by", "partner").filter(pk=pk).first()
    if request is None:
        raise Http404
    return request


def timeline(request: Request, *, for_requester: bool) -> QuerySet[RequestEvent]:
    events = request.events.select_related("actor")
    if for_requester:
        events = events.filter(visible_to_requester=True)
    return events.order_by("at", "pk")


def duplicates_of(request: Request) -> QuerySet[DuplicateFlag]:
    return DuplicateFlag.objects.filter(Q(first=request) | Q(second=request)).select_related("first", "second")


def resources_for(request: Request, kind: str = "") -> QuerySet[ReorientationResource]:
    """Active resources of the cell that serve the patient's commune (or the whole territory), nearest kinds first."""
    resources = ReorientationResource.objects.filter(cell=request.cell_id, is_active=True).filter(
        Q(communes_served=request.patient_commune_id)
        | Q(communes_served__isnull=True)
        | Q(commune=request.patient_commune_id)
    )
    if kind:
        resources = resources.filter(kind=kind)
    return resources.distinct().select_related("commune").order_by("kind", "name")


def questions_pending(cell_id: int) -> QuerySet[SupervisorQuestion]:
    """The supervisor's inbox: unanswered questions, oldest first."""
    return (
        SupervisorQuestion.objects.filter(request__cell=cell_id, answered_at__isnull=True, request__status__in=OPEN)
        .select_related("request__patient_commune", "asked_by")
        .order_by("asked_at")
    )


def questions_of(request: Request) -> QuerySet[SupervisorQuestion]:
    return request.questions.select_related("asked_by", "answered_by").order_by("asked_at")


def question_for(cell_id: int, pk: int) -> SupervisorQuestion:
    question = SupervisorQuestion.objects.select_related("request").filter(request__cell=cell_id, pk=pk).first()
    if question is None:
        raise Http404
    return question


def duplicate_flag_for(cell_id: int, pk: int) -> DuplicateFlag:
    flag = DuplicateFlag.objects.filter(first__cell=cell_id, pk=pk).first()
    if flag is None:
        raise Http404
    return flag


def shifts(cell_id: int, since: datetime) -> QuerySet[DutyShift]:
    return DutyShift.objects.filter(cell=cell_id, ends_at__gt=since).select_related("supervisor").order_by("starts_at")


def partner_by_token(token: str) -> Partner:
    """The active partner behind a QR code; an unknown or disabled code is a plain 404."""
    partner = Partner.objects.select_related("cell").filter(token=token, is_active=True).first()
    if partner is None:
        raise Http404
    return partner


def partner_list(cell: Cell) -> QuerySet[Partner]:
    return (
        Partner.objects.filter(cell=cell)
        .select_related("commune")
        .annotate(request_count=Count("requests"))
        .order_by("name")
    )


def partner_get(cell: Cell, pk: int) -> Partner:
    partner = Partner.objects.select_related("commune").filter(cell=cell, pk=pk).first()
    if partner is None:
        raise Http404
    return partner


def protocol_questions(cell: Cell) -> QuerySet[ProtocolQuestion]:
    return ProtocolQuestion.objects.filter(cell=cell).prefetch_related("rules").order_by("order", "pk")


def protocol_question_get(cell: Cell, pk: int) -> ProtocolQuestion:
    question = ProtocolQuestion.objects.filter(cell=cell, pk=pk).first()
    if question is None:
        raise Http404
    return question


def protocol_rule_get(question: ProtocolQuestion, pk: int) -> ProtocolRule:
    rule = question.rules.filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def queue_summary(cell: Cell, now: datetime) -> dict[str, int]:
    """The figures a coordinator sees first: open requests, overdue, waiting for the supervisor, to validate."""
    open_requests = Request.objects.filter(cell=cell, status__in=OPEN)
    return open_requests.aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(deadline_at__lt=now)),
        unheld=Count("pk", filter=Q(holder__isnull=True)),
        waiting_supervisor=Count("pk", filter=Q(status="waiting_supervisor")),
        to_validate=Count("pk", filter=Q(status="to_validate")),
    )


def settings_for(cell: Cell) -> ReferralSettings:
    """The cell's way of handling requests, or the defaults (unsaved) when its administrator has set none: a read
    writes nothing; the settings page saves it."""
    return ReferralSettings.objects.filter(cell=cell).first() or ReferralSettings(cell=cell)


def tag_list(cell: Cell) -> QuerySet[Tag]:
    """The cell's tags, active first, each with how many requests carry it."""
    return Tag.objects.filter(cell=cell).annotate(request_count=Count("requests")).order_by("-is_active", "key")


def tag_get(cell: Cell, pk: int) -> Tag:
    tag = Tag.objects.filter(cell=cell, pk=pk).first()
    if tag is None:
        raise Http404
    return tag


def tags_for_filter(cell: Cell) -> list[Tag]:
    """Every tag of the cell, archived ones last (open requests may still carry them)."""
    return list(Tag.objects.filter(cell=cell).order_by("-is_active", "key"))


def tags_offered(cell: Cell, request: Request | None = None) -> list[Tag]:
    """The tags a coordinator may tick: the cell's active ones, and the archived ones the request already has; each
    says whether the request has it (`on_request`), so that one query serves the chips and the checkboxes."""
    if request is None or not request.pk:
        return list(Tag.objects.filter(cell=cell, is_active=True).annotate(on_request=Value(False)).order_by("key"))
    on_request = Exists(Request.tags.through.objects.filter(request=request.pk, tag=OuterRef("pk")))
    tags = Tag.objects.filter(cell=cell).annotate(on_request=on_request)
    return list(tags.filter(Q(is_active=True) | Q(on_request=True)).order_by("key"))
