"""The alert cascade: who is alerted at each step, how a step ends, and the first acceptance that wins.

A cascade alerts, step by step: the patient's usual professional (when they take part), then the eligible effectors
near the patient, then every eligible effector of the cell. Each step lasts the cell's timeout; a step where nobody
is left to alert is skipped. An effector answers from the link in their SMS or e-mail: the first acceptance wins —
the cascade is claimed by a conditional update, the slot published and booked in the same transaction — and the
others are told it is taken. When the last step ends unanswered, the coordinator who started it is told.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from agenda.models import Booking
from agenda.services import slot_book, slots_publish
from common.errors import DomainError
from directory.models import Professional
from referrals import services as referrals
from referrals.models import CareChannel, Modality, Request
from referrals.states import ORIENTABLE

from .models import Alert, AlertPolicy, AlertStatus, Cascade, CascadeStatus, Step
from .selectors import (
    HORIZON,
    Eligible,
    after_deadline,
    alert_by_token,
    eligible,
    policy_for,
    policy_for_request_token,
)
from .texts import tell_alerted, tell_coordinator, tell_taken

logger = logging.getLogger(__name__)

ALREADY_RUNNING = gettext_lazy("Effectors are already being alerted for this request.")
NOBODY_ACCEPTED = gettext_lazy("Nobody accepted the alerts: find another way.")
NOBODY_TO_ALERT = gettext_lazy(
    "No effector of this care can be alerted (active, with a phone or an e-mail, not absent)."
)
ALREADY_ANSWERED = gettext_lazy("You have already answered this alert.")
TAKEN = gettext_lazy("Another professional has already accepted: thank you.")
ALERT_CLOSED = gettext_lazy("This alert is closed: the coordination cell no longer needs an answer.")
WHEN_PAST = gettext_lazy("Choose a time still to come.")
WHEN_TOO_FAR = gettext_lazy("Choose a time within the next 7 days.")
NOT_STOPPABLE = gettext_lazy("These alerts are already over.")
USUAL_NOT_FIT = gettext_lazy("The usual professional must be an active effector of this care in this cell.")

# Inside the acceptance's timeline line, before its final full stop.
LATE_ON_TIMELINE = gettext_lazy("WARNING: after the request's deadline (%(deadline)s), check that it suits the patient")

WHEN_ACROSS = gettext_lazy(
    "The appointment would run past midnight or across the clock change: choose an earlier time, or call the cell."
)


def _step_recipients(cascade: Cascade, step: int, candidates: list[Eligible], policy: AlertPolicy) -> list[Eligible]:
    alerted = set(cascade.alerts.values_list("professional_id", flat=True))
    left = [e for e in candidates if e.professional.pk not in alerted]
    if step == Step.USUAL:
        return [e for e in left if e.professional.pk == cascade.usual_professional_id]
    if step == Step.NEARBY:
        return [e for e in left if e.km is not None and e.km <= policy.nearby_km]
    return left


def _timeout(policy: AlertPolicy, step: int) -> timedelta:
    minutes = {Step.USUAL: policy.usual_minutes, Step.NEARBY: policy.nearby_minutes}.get(
        Step(step), policy.territory_minutes
    )
    return timedelta(minutes=minutes)


def _open_next_step(cascade: Cascade, now: datetime, after: int) -> bool:
    """Alert the next step that has someone to alert; False when no step is left."""
    policy = policy_for(cascade.cell_id)
    candidates = eligible(cascade.request, now)
    for step in range(after + 1, Step.TERRITORY + 1):
        recipients = _step_recipients(cascade, step, candidates, policy)
        if not recipients:
            continue
        cascade.step = step
        cascade.step_ends_at = now + _timeout(policy, step)
        cascade.save(update_fields=["step", "step_ends_at"])
        for recipient in recipients:
            alert = Alert.objects.create(
                cascade=cascade,
                professional=recipient.professional,
                step=step,
                token=secrets.token_urlsafe(32),
                km=recipient.km,
                sent_at=now,
            )
            tell_alerted(alert)
        names = ", ".join(str(r.professional) for r in recipients)
        referrals.request_log_alerts(
            request=cascade.request,
            user=None,
            at=now,
            text=_("Step %(step)s (%(label)s), until %(until)s: %(names)s.")
            % {
                "step": step,
                "label": Step(step).label,
                "until": f"{timezone.localtime(cascade.step_ends_at):%d/%m %H:%M}",
                "names": names,
            },
        )
        from .tasks import advance_cascades  # the step ends by itself, without waiting for a scheduled job

        advance_cascades.using(run_after=cascade.step_ends_at).enqueue()
        return True
    return False


@transaction.atomic
def cascade_start(
    *, request: Request, user: User, usual_professional: Professional | None = None, now: datetime | None = None
) -> Cascade:
    """Start alerting effectors for a request the coordinator may orient."""
    now = now or timezone.now()
    request = referrals.request_lock(request)
    referrals.request_check_orientable(request=request, user=user, now=now)
    if Cascade.objects.filter(request=request, status=CascadeStatus.RUNNING).exists():
        raise DomainError(ALREADY_RUNNING)
    candidates = eligible(request, now)
    if usual_professional is not None and usual_professional.pk not in {e.professional.pk for e in candidates}:
        raise DomainError(USUAL_NOT_FIT, field="usual_professional")
    if not candidates:
        raise DomainError(NOBODY_TO_ALERT)
    cascade = Cascade.objects.create(
        cell_id=request.cell_id,
        request=request,
        started_by=user,
        started_at=now,
        usual_professional=usual_professional,
        step=Step.USUAL,
        step_ends_at=now,
    )
    if not _open_next_step(cascade, now, after=0):
        raise DomainError(NOBODY_TO_ALERT)
    return cascade


def cascades_advance(*, now: datetime | None = None) -> int:
    """End the steps whose time is over: their unanswered alerts expire and the next step is alerted; after the
    last, the coordinator is told. Run by the worker when a step ends (and every few minutes by
    `manage.py advance_alerts`, in case). Returns how many cascades moved on."""
    now = now or timezone.now()
    due = list(Cascade.objects.filter(status=CascadeStatus.RUNNING, step_ends_at__lte=now).values_list("pk", flat=True))
    moved = 0
    for pk in due:
        try:
            moved += _advance_one(pk, now)
        except Exception:  # one cascade's trouble must not hold the others back; it is tried again next round
            logger.exception("alert cascade %s could not move on", pk)
    return moved


@transaction.atomic
def _advance_one(pk: int, now: datetime) -> int:
    cascade = Cascade.objects.select_for_update(of=("self",)).select_related("request__cell").get(pk=pk)
    if cascade.status != CascadeStatus.RUNNING or cascade.step_ends_at > now:
        return 0  # accepted, stopped or advanced meanwhile
    if cascade.request.status not in ORIENTABLE:
        request_left(request=cascade.request, at=now)  # oriented or closed another way
        return 0
    _end_step(cascade, now)
    return 1


def _end_step(cascade: Cascade, now: datetime) -> None:
    cascade.alerts.filter(step=cascade.step, status=AlertStatus.SENT).update(status=AlertStatus.EXPIRED)
    if _open_next_step(cascade, now, after=cascade.step):
        return
    cascade.status = CascadeStatus.EXHAUSTED
    cascade.finished_at = now
    cascade.save(update_fields=["status", "finished_at"])
    referrals.request_log_alerts(request=cascade.request, user=None, at=now, text=str(NOBODY_ACCEPTED))
    tell_coordinator(cascade, now)


def check_open(alert: Alert) -> None:
    """Raise unless this alert may still be answered. A step that ended does not stop its effectors from answering
    late while the cascade runs: the first acceptance still wins."""
    if alert.status in (AlertStatus.ACCEPTED, AlertStatus.DECLINED):
        raise DomainError(ALREADY_ANSWERED, code="answered")
    if alert.cascade.status == CascadeStatus.ACCEPTED:
        raise DomainError(TAKEN, code="taken")
    if alert.cascade.status != CascadeStatus.RUNNING or alert.status not in (AlertStatus.SENT, AlertStatus.EXPIRED):
        raise DomainError(ALERT_CLOSED, code="closed")


def alert_accept(*, token: str, starts_at: datetime, now: datetime | None = None) -> Booking:
    """The effector accepts and gives the time they see the patient. The first acceptance wins: the cascade is
    claimed by a conditional update (a second one finds it taken), the appointment is published in the effector's
    agenda and booked for the request in the same transaction; the others are told it is taken."""
    now = now or timezone.now()
    if starts_at <= now:
        raise DomainError(WHEN_PAST, field="starts_at")
    if starts_at > now + HORIZON:
        raise DomainError(WHEN_TOO_FAR, field="starts_at")
    local = timezone.localtime(starts_at)
    policy = policy_for_request_token(token)
    ends = timezone.localtime(starts_at + timedelta(minutes=policy.appointment_minutes))
    if ends.date() != local.date() or ends.utcoffset() != local.utcoffset():
        raise DomainError(WHEN_ACROSS, field="starts_at")
    with transaction.atomic():
        alert = alert_by_token(token)
        check_open(alert)
        won = Cascade.objects.filter(pk=alert.cascade_id, status=CascadeStatus.RUNNING).update(
            status=CascadeStatus.ACCEPTED, finished_at=now
        )
        if not won:  # another acceptance (or a stop) came first
            alert.cascade.refresh_from_db()
            check_open(alert)
            raise DomainError(TAKEN, code="taken")
        cascade = alert.cascade
        Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.ACCEPTED, answered_at=now)
        booking = _book(alert, starts_at, now)
        _close_alerts(cascade, exclude=alert.pk)
    return booking


def _book(alert: Alert, starts_at: datetime, now: datetime) -> Booking:
    """The accepting effector's appointment: a slot of the cell's length at their first site, booked for the
    request (as the coordinator who started the cascade)."""
    cascade = alert.cascade
    request = cascade.request
    policy = policy_for(cascade.cell_id)
    local = timezone.localtime(starts_at)
    site = alert.professional.sites.filter(is_active=True).first()
    modality = Modality.HOME_VISIT if request.care_channel == CareChannel.NURSING else Modality.IN_PERSON
    slots = slots_publish(
        cell=request.cell,
        professional=alert.professional,
        site=site,
        day=local.date(),
        start=local.time(),
        end=(local + timedelta(minutes=policy.appointment_minutes)).time(),
        minutes=policy.appointment_minutes,
        care_channel=request.care_channel,
        exam_type=request.exam_type,
        modality=modality,
        now=now,
    )
    booking = slot_book(slot=slots[0], request=request, user=cascade.started_by, by_alert=True, now=now)
    late = ""
    if after_deadline(request, starts_at):
        late = " — " + LATE_ON_TIMELINE % {"deadline": f"{timezone.localtime(request.deadline_at):%d/%m %H:%M}"}
    text = _("%(name)s accepted the alert (step %(step)s): %(when)s%(late)s.") % {
        "name": alert.professional,
        "step": alert.step,
        "when": f"{local:%d/%m %H:%M}",
        "late": late,
    }
    referrals.request_log_alerts(request=request, user=None, at=now, text=text)
    tell_coordinator(cascade, now, accepted=alert, starts_at=starts_at)
    return booking


@transaction.atomic
def alert_decline(*, token: str, now: datetime | None = None) -> Alert:
    """The effector cannot: noted; when everyone of the step has declined, the next step starts at once."""
    now = now or timezone.now()
    alert = alert_by_token(token)
    cascade = Cascade.objects.select_for_update().get(pk=alert.cascade_id)
    alert.cascade = cascade
    check_open(alert)
    alert.status = AlertStatus.DECLINED
    alert.answered_at = now
    alert.save(update_fields=["status", "answered_at"])
    referrals.request_log_alerts(
        request=cascade.request, user=None, at=now, text=_("%(name)s declined.") % {"name": alert.professional}
    )
    if not cascade.alerts.filter(step=cascade.step, status=AlertStatus.SENT).exists():
        _end_step(cascade, now)
    return alert


def _close_alerts(cascade: Cascade, exclude: int | None = None) -> None:
    """The effectors still asked are told it is over, and their alerts close."""
    waiting = cascade.alerts.filter(status=AlertStatus.SENT).select_related("professional")
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    for alert in waiting:
        tell_taken(alert)
    waiting.update(status=AlertStatus.CLOSED)


def request_left(*, request: Request, at: datetime) -> None:
    """Inside the transaction that booked, closed or reoriented the request some other way: its running cascade
    stops, and the effectors still asked are told."""
    for cascade in Cascade.objects.filter(request=request, status=CascadeStatus.RUNNING):
        Cascade.objects.filter(pk=cascade.pk).update(status=CascadeStatus.STOPPED, finished_at=at)
        _close_alerts(cascade)
        referrals.request_log_alerts(request=request, user=None, at=at, text=_("Alerts stopped."))


@transaction.atomic
def cascade_stop(*, cascade: Cascade, user: User, now: datetime | None = None) -> Cascade:
    """The coordinator stops the alerts (the patient found care elsewhere, a slot came free…)."""
    now = now or timezone.now()
    stopped = Cascade.objects.filter(pk=cascade.pk, status=CascadeStatus.RUNNING).update(
        status=CascadeStatus.STOPPED, finished_at=now
    )
    if not stopped:
        raise DomainError(NOT_STOPPABLE)
    _close_alerts(cascade)
    referrals.request_log_alerts(request=cascade.request, user=user, at=now, text=_("Alerts stopped."))
    cascade.refresh_from_db()
    return cascade
