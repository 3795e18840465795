"""A patient who declines messages: nothing more is sent to their phone."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import User
from common.errors import DomainError
from referrals.models import Request

from ..models import Message, MessageStatus, OptOut


@transaction.atomic
def patient_opt_out(*, request: Request, user: User | None, now: datetime | None = None) -> OptOut:
    """The patient declines messages (told to a coordinator): nothing more is sent to their phone, and what is
    still queued for it is not sent."""
    now = now or timezone.now()
    if not request.patient_phone:
        raise DomainError(NO_PATIENT_PHONE)
    address = request.patient_phone.as_e164
    opt_out, _created = OptOut.objects.get_or_create(
        cell=request.cell, address=address, defaults={"at": now, "by": user}
    )
    Message.objects.filter(cell=request.cell, to=address, status=MessageStatus.QUEUED).update(
        status=MessageStatus.OPTED_OUT
    )
    return opt_out


NO_PATIENT_PHONE = gettext_lazy("This patient has no phone number.")
