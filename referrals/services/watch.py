"""Watching the 48 h clocks: no deadline passes unseen."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Role

from ..models import EventKind, ReferralSettings, Request
from ..signals import deadline_near
from ..states import OPEN
from ._core import _event
from .supervision import supervisor_on_duty

DEFAULT_WARN_HOURS = 6


def deadlines_warn(*, now: datetime | None = None) -> int:
    """Alert the cell, once, about each request still waiting (neither oriented nor reoriented) when its deadline is
    closer than the cell's chosen hours (6 by default): a line on its timeline, a badge on the queue, and a message
    to whoever holds it (else the cell's coordinators) and to the supervising doctor on duty. Run every few minutes
    (`manage.py warn_deadlines`); a request is re-read under its lock, so two runs never alert twice. Returns how many
    requests were alerted."""
    now = now or timezone.now()
    hours = {row.cell_id: row.warn_hours_before for row in ReferralSettings.objects.all()}
    widest = max([DEFAULT_WARN_HOURS, *hours.values()])
    candidates = Request.objects.filter(
        status__in=OPEN, deadline_warned_at__isnull=True, deadline_at__lte=now + timedelta(hours=widest)
    ).values_list("pk", "cell_id", "deadline_at")
    warned = 0
    for pk, cell_id, deadline_at in candidates:
        if deadline_at - timedelta(hours=hours.get(cell_id, DEFAULT_WARN_HOURS)) > now:
            continue
        warned += _warn(pk, now)
    return warned


@transaction.atomic
def _warn(pk: int, now: datetime) -> int:
    request = Request.objects.select_for_update(of=("self",)).select_related("cell", "holder").get(pk=pk)
    if request.deadline_warned_at is not None or request.status not in OPEN:
        return 0
    request.deadline_warned_at = now
    request.save(update_fields=["deadline_warned_at"])
    _event(request, at=now, actor=None, kind=EventKind.DEADLINE_WARNING, visible_to_requester=False)
    coordinators = Membership.objects.filter(cell=request.cell, role=Role.COORDINATOR, is_active=True)
    if request.holder_id is not None:
        held_by = coordinators.filter(user=request.holder_id)
        coordinators = held_by if held_by.exists() else coordinators
    supervisor = supervisor_on_duty(request.cell, now)
    supervisors = Membership.objects.filter(
        Q(user=supervisor) if supervisor is not None else Q(pk__in=[]),
        cell=request.cell,
        role=Role.SUPERVISOR,
        is_active=True,
    )
    told_as_supervisor = list(supervisors.select_related("user", "professional"))
    # A person who is both a coordinator and the supervising doctor on duty is told once, the supervisor's way.
    supervisor_users = {member.user_id for member in told_as_supervisor}
    deadline_near.send(
        sender=Request,
        request=request,
        at=now,
        coordinators=[
            member
            for member in coordinators.select_related("user", "professional")
            if member.user_id not in supervisor_users
        ],
        supervisors=told_as_supervisor,
    )
    return 1
