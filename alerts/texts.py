"""What the alert cascade says, and to whom: the effector alerted, the others once it is taken, the coordinator when
nobody accepted. Queued through the outbox (an SMS to a mobile, else an e-mail)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.models import MessageChannel, MessageKind
from notifications.services import message_about
from notifications.sms import within_segments
from referrals.models import CareChannel

from .models import Alert, Cascade
from .selectors import after_deadline, mobile_of


def _base_url() -> str:
    return str(settings.AIGUILLAGE_BASE_URL).rstrip("/")


def _send(alert: Alert, kind: str, text: str, subject: str) -> None:
    """To the effector: an SMS when they have a mobile, else an e-mail."""
    professional = alert.professional
    request = alert.cascade.request
    mobile = mobile_of(professional)
    if mobile is not None:
        channel, to, body = MessageChannel.SMS, mobile, text
    else:
        channel, to, body = MessageChannel.EMAIL, professional.email, text
    message_about(
        request,
        kind=kind,
        channel=channel,
        to=to,
        subject=subject,
        body=body,
        key=f"{kind}:{alert.pk}",
        at=timezone.now(),
    )


def tell_alerted(alert: Alert) -> None:
    request = alert.cascade.request
    with translation.override(settings.LANGUAGE_CODE):
        link = _base_url() + reverse("alert_answer", kwargs={"token": alert.token})
        deadline = timezone.localtime(request.deadline_at)
        if request.deadline_at <= alert.sent_at:  # never "before" a time already gone
            wording = _(
                "%(cell)s: a patient needs %(care)s as soon as possible (deadline passed: %(deadline)s), in "
                "%(commune)s. Can you see them? Answer:"
            )
        else:
            wording = _(
                "%(cell)s: a patient needs %(care)s before %(deadline)s, in %(commune)s. Can you see them? Answer:"
            )
        text = wording % {
            "cell": request.cell.name,
            "care": CareChannel(request.care_channel).label.lower(),
            "deadline": f"{deadline:%d/%m %H:%M}",
            "commune": request.patient_commune.name,
        }
        body = within_segments(text, reserve=link) + " " + link
        subject = _("[Aiguillage] A patient to see before %(deadline)s") % {"deadline": f"{deadline:%d/%m %H:%M}"}
    _send(alert, MessageKind.EFFECTOR_ALERT, body, subject)


def tell_taken(alert: Alert) -> None:
    request = alert.cascade.request
    with translation.override(settings.LANGUAGE_CODE):
        text = _("%(cell)s: our alert of %(when)s is closed, the patient has been taken care of. Thank you.") % {
            "cell": request.cell.name,
            "when": f"{timezone.localtime(alert.sent_at):%d/%m %H:%M}",
        }
        subject = _("[Aiguillage] Alert closed: the patient has been taken care of")
    _send(alert, MessageKind.ALERT_TAKEN, within_segments(text), subject)


def tell_coordinator(
    cascade: Cascade, now: datetime, accepted: Alert | None = None, starts_at: datetime | None = None
) -> None:
    """The coordinator who started the alerts hears how they ended: who accepted and when (warned when that is after
    the request's deadline), or nobody."""
    user = cascade.started_by
    if not user.email:
        return
    request = cascade.request
    kind = MessageKind.ALERT_ACCEPTED if accepted is not None else MessageKind.ALERTS_EXHAUSTED
    with translation.override(settings.LANGUAGE_CODE):
        url = _base_url() + reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})
        late = accepted is not None and starts_at is not None and after_deadline(request, starts_at)
        if accepted is not None:
            wording = (
                _("[Aiguillage] Request %(reference)s: %(name)s accepted, after the deadline")
                if late
                else _("[Aiguillage] Request %(reference)s: %(name)s accepted")
            )
            subject = wording % {"reference": request.reference, "name": accepted.professional}
        else:
            subject = _("[Aiguillage] Request %(reference)s: nobody accepted the alerts") % {
                "reference": request.reference
            }
        body = render_to_string(
            "alerts/coordinator.txt",
            {
                "user": user,
                "request": request,
                "cascade": cascade,
                "url": url,
                "accepted": accepted,
                "when": timezone.localtime(starts_at) if starts_at else None,
                "late": late,
                "deadline": timezone.localtime(request.deadline_at),
            },
        )
    message_about(
        request,
        kind=kind,
        channel=MessageChannel.EMAIL,
        to=user.email,
        subject=subject,
        body=body,
        key=f"{kind}:{cascade.pk}",
        recipient=user,
        at=now,
    )
