"""What waits for one person in each of their cells ("Ce qui vous attend"), for someone who works for several cells
(a regional platform's coordinator, a supervising doctor, a cell administrator).

Counts only, never a patient: the page names no one, so it reads no patient data to log. Each kind of count is one
query grouped by cell, whatever the number of cells (one for the person's rows, then at most one per kind), and a
kind is read only in the cells where one of the person's active roles may open the page it links to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q

from accounts.models import Membership, PscAccessRequest, PscAccessStatus, User
from accounts.policies import ROLE_ORDER, ROLE_PERMISSIONS, Perm
from alerts.models import Alert, AlertStatus, CascadeStatus
from alerts.selectors import cascades_unanswered
from notifications.models import Message, MessageStatus
from referrals.models import Request, SupervisorQuestion
from referrals.selectors import IN_QUEUE, deadline_within
from referrals.states import OPEN, Status
from territory.models import Cell

FAILED_SINCE = timedelta(days=7)  # a message not sent is still worth a look for a week


@dataclass
class QueueCounts:
    """The cell's queue as it concerns the person: figures the queue page shows with its filters."""

    in_queue: int = 0  # the queue page's rows (open requests and series with a session left to book)
    received: int = 0  # nobody called the patient back yet
    in_progress: int = 0  # being called back and qualified
    to_validate: int = 0  # arrived by QR code, to validate
    waiting_supervisor: int = 0
    near: int = 0  # open, deadline within the queue's red clock (referrals.selectors.deadline_within)
    overdue: int = 0  # open, deadline passed
    mine: int = 0  # held by the person


@dataclass
class CellWaiting:
    """One cell of the person: their roles there and, per kind their roles may see, what waits (None: not theirs)."""

    cell: Cell
    roles: list[str]
    role_labels: list[str]
    granted: frozenset[Perm]
    professional_ids: list[int] = field(default_factory=list)
    queue: QueueCounts | None = None
    questions: int | None = None  # supervisor questions unanswered (the supervising doctor's inbox)
    alerts_unanswered: int | None = None  # alert cascades that ended with nobody accepting, request still open
    alerts_to_answer: int | None = None  # alerts sent to the person (as an effector) still waiting for their answer
    messages_failed: int | None = None  # messages not sent in the last FAILED_SINCE
    access_requests: int | None = None  # Pro Santé Connect access requests waiting for the cell's decision

    @property
    def counted(self) -> bool:
        """Whether anything is counted for the person's roles here (a requester's pages are on the cell's home)."""
        kinds = (self.queue, self.questions, self.alerts_unanswered, self.alerts_to_answer, self.messages_failed)
        return any(kind is not None for kind in (*kinds, self.access_requests))

    @property
    def urgent(self) -> int:
        """What cannot wait: deadlines passed or near, questions to answer, alerts to answer or that found nobody."""
        queue = self.queue
        return sum(
            (
                queue.overdue + queue.near if queue else 0,
                self.questions or 0,
                self.alerts_to_answer or 0,
                self.alerts_unanswered or 0,
            )
        )


def _cells_of(user: User) -> list[CellWaiting]:
    rows: dict[int, list[Membership]] = defaultdict(list)
    for row in Membership.objects.filter(user=user, is_active=True).select_related("cell").order_by("cell__name"):
        rows[row.cell_id].append(row)
    cells = []
    for cell_rows in rows.values():
        cell_rows.sort(key=lambda row: ROLE_ORDER.index(row.role) if row.role in ROLE_ORDER else len(ROLE_ORDER))
        cells.append(
            CellWaiting(
                cell=cell_rows[0].cell,
                roles=[row.role for row in cell_rows],
                role_labels=[str(row.get_role_display()) for row in cell_rows],
                granted=frozenset().union(*(ROLE_PERMISSIONS.get(row.role, frozenset()) for row in cell_rows)),
                professional_ids=[row.professional_id for row in cell_rows if row.professional_id],
            )
        )
    return cells


def _by_cell(rows: Iterable[dict[str, int]], key: str = "cell") -> dict[int, dict[str, int]]:
    return {row[key]: row for row in rows}


def waiting_for(user: User, now: datetime) -> list[CellWaiting]:
    """Per cell where the person has an active membership (by name): what waits for them there."""
    cells = _cells_of(user)

    def having(permission: Perm) -> dict[int, CellWaiting]:
        return {each.cell.pk: each for each in cells if permission in each.granted}

    queues = having(Perm.QUEUE_VIEW)
    if queues:
        figures = _by_cell(
            Request.objects.filter(IN_QUEUE, cell__in=list(queues))
            .values("cell")
            .order_by()
            .annotate(
                in_queue=Count("pk"),
                received=Count("pk", filter=Q(status=Status.RECEIVED)),
                in_progress=Count("pk", filter=Q(status=Status.IN_PROGRESS)),
                to_validate=Count("pk", filter=Q(status=Status.TO_VALIDATE)),
                waiting_supervisor=Count("pk", filter=Q(status=Status.WAITING_SUPERVISOR)),
                near=Count("pk", filter=deadline_within("near", now)),
                overdue=Count("pk", filter=deadline_within("overdue", now)),
                mine=Count("pk", filter=Q(holder=user)),
            )
        )
        for pk, each in queues.items():
            found = figures.get(pk, {})
            each.queue = QueueCounts(**{name: found.get(name, 0) for name in QueueCounts.__dataclass_fields__})

    supervised = having(Perm.SUPERVISOR_ANSWER)
    if supervised:
        # referrals.selectors.questions_pending, counted.
        counts = _by_cell(
            SupervisorQuestion.objects.filter(
                request__cell__in=list(supervised), answered_at__isnull=True, request__status__in=OPEN
            )
            .values("request__cell")
            .order_by()
            .annotate(n=Count("pk")),
            key="request__cell",
        )
        for pk, each in supervised.items():
            each.questions = counts.get(pk, {}).get("n", 0)

    handling = having(Perm.REQUEST_HANDLE)
    if handling:
        counts = _by_cell(
            cascades_unanswered(list(handling)).values("cell").order_by().annotate(n=Count("request", distinct=True))
        )
        for pk, each in handling.items():
            each.alerts_unanswered = counts.get(pk, {}).get("n", 0)

    effectors = {pk: each for pk, each in having(Perm.OWN_APPOINTMENTS).items() if each.professional_ids}
    if effectors:
        # alerts.selectors.running_alerts_for, counted (each professional record belongs to one cell).
        counts = _by_cell(
            Alert.objects.filter(
                professional_id__in=[pk for each in effectors.values() for pk in each.professional_ids],
                cascade__cell__in=list(effectors),
                status=AlertStatus.SENT,
                cascade__status=CascadeStatus.RUNNING,
            )
            .values("cascade__cell")
            .order_by()
            .annotate(n=Count("pk")),
            key="cascade__cell",
        )
        for pk, each in effectors.items():
            each.alerts_to_answer = counts.get(pk, {}).get("n", 0)

    outboxes = having(Perm.MESSAGES_VIEW)
    if outboxes:
        counts = _by_cell(
            Message.objects.filter(
                cell__in=list(outboxes), status=MessageStatus.FAILED, created_at__gte=now - FAILED_SINCE
            )
            .values("cell")
            .order_by()
            .annotate(n=Count("pk"))
        )
        for pk, each in outboxes.items():
            each.messages_failed = counts.get(pk, {}).get("n", 0)

    administered = having(Perm.MEMBERS_MANAGE)
    if administered:
        counts = _by_cell(
            PscAccessRequest.objects.filter(cell__in=list(administered), status=PscAccessStatus.PENDING)
            .values("cell")
            .order_by()
            .annotate(n=Count("pk"))
        )
        for pk, each in administered.items():
            each.access_requests = counts.get(pk, {}).get("n", 0)
    return cells
