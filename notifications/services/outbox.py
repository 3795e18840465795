"""The outbox: a message is queued in the caller's transaction (so a rolled-back change sends nothing) and sent once
the transaction commits; a message is claimed before it is sent, so it goes out once; temporary failures are tried
again with a growing wait, and a message whose sender died is recovered."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from directory.models import Professional
from referrals.models import Request

from .. import mssante
from ..models import PATIENT_KINDS, Message, MessageChannel, MessageStatus
from ..selectors import is_opted_out
from ..sms import (
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsTemporaryError,
    send_sms,
    sms_sent_with,
)

logger = logging.getLogger(__name__)


def message_queue(message: Message, *, body: Callable[[Message], str] | None = None) -> Message | None:
    """Store the message and its worker's task in the caller's transaction (a rolled-back change leaves neither);
    the same news twice (the same key) is stored once. `body`, when given, writes the text once the message has its
    id (a link to it), before its task exists. A message queued with `next_try_at` is not sent before that time (its
    task waits until then; `messages_send_queued` leaves it until it is due)."""
    try:
        with transaction.atomic():
            message.save()
            if body is not None:
                message.body = body(message)
                message.save(update_fields=["body"])
    except IntegrityError:
        return None
    from ..tasks import send_message

    if message.next_try_at is not None:
        send_message.using(run_after=message.next_try_at).enqueue(message.pk)
    else:
        send_message.enqueue(message.pk)
    return message


@dataclass(frozen=True)
class SendOutcome:
    sent: bool
    retry_at: datetime | None = None  # a temporary failure: when to try again


MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


def _is_permanent(error: Exception) -> bool:
    """A refusal that another try would not change: the address or number refused, or an SMTP 5xx answer."""
    if isinstance(error, (smtplib.SMTPRecipientsRefused, SmsPermanentError)):
        return True
    if isinstance(error, SmsTemporaryError):
        return False
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def _outcome_unknown(error: Exception) -> bool:
    """The try may have reached the provider: an SMS whose answer was lost (`SmsOutcomeUnknown`), or an SMTP server
    gone silent or away during the exchange (after DATA, it may have taken the e-mail). A refused connection, a
    refusal, a 4xx or 5xx answer: it surely did not leave."""
    return isinstance(error, (SmsOutcomeUnknown, smtplib.SMTPServerDisconnected))


def message_send(*, message_pk: int, now: datetime | None = None) -> SendOutcome:
    """Send one queued message. It is claimed first by a conditional update: of two senders, one sends, the other
    finds nothing to do. A temporary failure (server down, 4xx) puts it back in the queue with the time of the next
    try, doubling the wait each time; a permanent refusal (5xx, address refused) or too many tries marks it not sent.
    An e-mail goes through the ordinary mail server, an MSSanté one through the MSSanté relay (`mssante`): the same
    rules for both; an MSSanté message whose relay was removed from the settings waits like one whose server is down,
    and one not sent for good is followed by a notice without its details (`health_notice_queue`).

    A try whose outcome is unknown (the provider may have taken it: its answer came after the timeout, the connection
    dropped after the request, or the sender died mid-send, see `messages_recover`) is recorded so, and the next try,
    whoever makes it (the worker's retry, `send_queued_messages`), asks the provider before sending. An SMS is looked
    up by its tag: found, it is recorded as sent with the provider's id and never sent again; not found, it is sent;
    the provider cannot say, it waits for the next try (the same growing wait, the same limit). SMTP has no lookup:
    an e-mail goes again with the same Message-ID, by which the mailbox can tell it is the same message. The provider
    records an SMS's events a little after taking it: the first retry comes a minute (FIRST_RETRY) after the try
    began, which leaves it most of that minute (a try lasts a timeout or two, 10 seconds each by default)."""
    now = now or timezone.now()
    claimed = Message.objects.filter(pk=message_pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENDING, claimed_at=now
    )
    if not claimed:
        return SendOutcome(sent=False)
    message = Message.objects.select_related("request__cell", "professional").get(pk=message_pk)
    attempts = message.attempts + 1
    if message.outcome_unknown and message.channel == MessageChannel.SMS:
        try:
            taken_as = sms_sent_with(to=message.to, reference=message.key)
        except SmsTemporaryError as error:
            logger.warning("message %s: the SMS provider cannot say yet whether it took it: %s", message.pk, error)
            text = f"the provider cannot say whether it took it: {error}"
            return _try_failed(message, attempts=attempts, now=now, error=text, unknown=True)
        if taken_as is not None:  # it did: the patient has it
            _sent(message, attempts=attempts, now=now, provider_id=taken_as)
            return SendOutcome(sent=True)
    if message.kind in PATIENT_KINDS and is_opted_out(message.cell_id, message.to):
        # Declined after the message was queued: it is not sent.
        Message.objects.filter(pk=message.pk).update(status=MessageStatus.OPTED_OUT, outcome_unknown=False)
        return SendOutcome(sent=False)
    provider_id = ""
    try:
        if message.channel == MessageChannel.SMS:
            provider_id = send_sms(to=message.to, text=message.body, reference=message.key).provider_id
        elif message.channel == MessageChannel.MSSANTE:  # health details: only through the MSSanté relay
            EmailMessage(
                message.subject,
                message.body,
                mssante.sender(),
                [message.to],
                headers={"Message-ID": message_id_header(message)},
                connection=mssante.connection(),
            ).send()
        else:
            EmailMessage(
                message.subject,
                message.body,
                settings.DEFAULT_FROM_EMAIL,
                [message.to],
                headers={"Message-ID": message_id_header(message)},
            ).send()
    except Exception as error:  # the provider's refusal or absence, whatever the backend says
        logger.warning("message %s not sent (try %s): %s", message.pk, attempts, error)
        unknown = _outcome_unknown(error)
        text = f"outcome unknown, the provider may have taken it: {error}" if unknown else str(error)
        outcome = _try_failed(
            message, attempts=attempts, now=now, error=text, unknown=unknown, permanent=_is_permanent(error)
        )
        if message.channel == MessageChannel.MSSANTE and outcome.retry_at is None and message.request is not None:
            # Not delivered through MSSanté, for good: the addressee still hears, by a notice without the details.
            health_notice_queue(
                request=message.request,
                kind=message.kind,
                professional=message.professional,
                details=message.details,
                key=f"{message.key}:notice",
                at=now,
            )
        return outcome
    _sent(message, attempts=attempts, now=now, provider_id=provider_id)
    return SendOutcome(sent=True)


def _sent(message: Message, *, attempts: int, now: datetime, provider_id: str) -> None:
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT,
        sent_at=now,
        attempts=attempts,
        error="",
        next_try_at=None,
        provider_id=provider_id,
        outcome_unknown=False,
    )


def _try_failed(
    message: Message, *, attempts: int, now: datetime, error: str, unknown: bool, permanent: bool = False
) -> SendOutcome:
    """Back to the queue until the next try (1 minute, then twice as long each time, an hour at most), or not sent
    after a permanent refusal or the last try; `unknown` says whether the next try must ask the provider first."""
    if permanent or attempts >= MAX_ATTEMPTS:
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, attempts=attempts, error=error[:1000], outcome_unknown=unknown
        )
        return SendOutcome(sent=False)
    retry_at = now + min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_WAIT)
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.QUEUED,
        attempts=attempts,
        error=error[:1000],
        next_try_at=retry_at,
        outcome_unknown=unknown,
    )
    return SendOutcome(sent=False, retry_at=retry_at)


def message_id_header(message: Message) -> str:
    """The e-mail's Message-ID, the same at every try: a mailbox that receives a message again after a try whose
    outcome was unknown (no answer in time, or a sender that died mid-send) can tell it is the same one."""
    domain = urlsplit(settings.AIGUILLAGE_BASE_URL).hostname or "aiguillage.invalid"
    return f"<{message.key.replace(':', '.')}.{message.pk}@{domain}>"


STUCK_AFTER = timedelta(minutes=10)  # far longer than a provider's timeout: its sender is gone


def messages_recover(*, now: datetime | None = None) -> int:
    """Messages left "sending" by a worker that died between sending and recording: a try whose outcome is unknown,
    like one whose answer came too late. They go back to the queue marked so, and their next try follows the one
    rule of `message_send`: an SMS is looked up at the provider by its tag first (found, recorded as sent and never
    sent again; not found, sent; the provider cannot say, it waits), an e-mail goes again with the same Message-ID.
    The try that died counts as one. Returns how many went back to the queue."""
    now = now or timezone.now()
    return Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STUCK_AFTER).update(
        status=MessageStatus.QUEUED,
        attempts=F("attempts") + 1,
        error="outcome unknown, the provider may have taken it: its sender stopped before recording the answer",
        next_try_at=None,
        outcome_unknown=True,
    )


def messages_send_queued(*, now: datetime | None = None) -> int:
    """Recover the messages a dead worker left half-sent, then send whatever is queued and due (also what waits
    after the mail settings were fixed); returns how many went out. Run every few minutes
    (`manage.py send_queued_messages`): the worker sends the rest by itself."""
    now = now or timezone.now()
    messages_recover(now=now)
    due = Message.objects.filter(status=MessageStatus.QUEUED).filter(
        Q(next_try_at__isnull=True) | Q(next_try_at__lte=now)
    )
    pks = list(due.order_by("pk").values_list("pk", flat=True))
    return sum(message_send(message_pk=pk, now=now).sent for pk in pks)


def message_about(
    request: Request,
    *,
    kind: str,
    channel: str,
    to: str,
    body: str,
    key: str,
    at: datetime,
    subject: str = "",
    recipient: User | None = None,
) -> Message | None:
    """Queue a message about a request, to one address (see `message_queue`: the same key twice is stored once)."""
    return message_queue(
        Message(
            cell_id=request.cell_id,
            request=request,
            kind=kind,
            channel=channel,
            to=to,
            subject=subject,
            body=body,
            key=key,
            created_at=at,
            recipient=recipient,
        )
    )


def email_about(
    request: Request, kind: str, to: str, subject: str, body: str, *, key: str, at: datetime
) -> Message | None:
    """Queue an e-mail about a request (see `message_about`)."""
    return message_about(
        request, kind=kind, channel=MessageChannel.EMAIL, to=to, subject=subject, body=body, key=key, at=at
    )


def health_notice_queue(
    *, request: Request, kind: str, professional: Professional | None, details: str, key: str, at: datetime
) -> Message | None:
    """Queue, to a professional's ordinary e-mail, the notice of a message carrying health details: no patient name
    nor initials, no birth date, no care, no note, no date of the consultation; the request's reference and a link to
    read the details after logging in (`views.HealthMessageRead`: the professional's account or the cell's staff, each
    reading logged). Without an e-mail address, nothing is queued."""
    if professional is None or not professional.email:
        return None
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Aiguillage] About your patient: a message to read in Aiguillage (%(reference)s)") % {
            "reference": request.reference
        }

    def notice(message: Message) -> str:
        with translation.override(settings.LANGUAGE_CODE):
            url = settings.AIGUILLAGE_BASE_URL.rstrip("/") + reverse(
                "notifications:health_message", kwargs={"cell": request.cell.slug, "pk": message.pk}
            )
            return render_to_string(
                "notifications/health_notice.txt",
                {"name": professional, "reference": request.reference, "url": url, "cell": request.cell},
            )

    return message_queue(
        Message(
            cell_id=request.cell_id,
            request=request,
            kind=kind,
            channel=MessageChannel.EMAIL,
            to=professional.email,
            professional=professional,
            subject=subject,
            details=details,
            key=key,
            created_at=at,
        ),
        body=notice,
    )
