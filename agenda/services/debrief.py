"""The spot IDEL's debrief after an assisted teleconsultation (seed 001): what the patient understood, what comes
next, who takes over. On the request's timeline for the coordinators, and in the médecin traitant's summary."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from common.errors import DomainError
from common.locking import lock_wait_bounded
from directory.models import Professional
from referrals import services as referrals

from ..models import Booking, BookingStatus, Relay, TeleconsultationDebrief, TelemedicineSpot

DEBRIEF_NOT_SPOT = _("Only an assisted teleconsultation at a telemedicine spot has a debrief.")
DEBRIEF_NOT_YOURS = _("Only an IDEL of this spot records its debrief.")
DEBRIEF_ALREADY = _("The debrief of this appointment was already recorded: nothing was changed.")
DEBRIEF_CANCELLED = _("This appointment was cancelled: there is nothing to debrief.")
DEBRIEF_TOO_EARLY = _("The debrief is recorded once the teleconsultation has started.")
NEXT_STEPS_REQUIRED = _("Write the next steps agreed with the patient.")
RELAY_REQUIRED = _("Say who takes over after the teleconsultation.")
RELAY_WHO_REQUIRED = _("Say which pharmacy, nurse or person takes over.")
DEBRIEF_TEXT = _("Understanding checked: %(checked)s. Next steps: %(steps)s Relay: %(relay)s.")


@transaction.atomic
@lock_wait_bounded()  # the booking's row, then the request's: a bounded wait, then "try again"
def debrief_record(
    *,
    booking: Booking,
    professional: Professional,
    user: User,
    understanding_checked: bool,
    next_steps: str,
    relay: str,
    relay_note: str = "",
    now: datetime | None = None,
) -> TeleconsultationDebrief:
    """Record the debrief once, by one of the spot's IDEL, after the teleconsultation has started; a relay other than
    "nobody" or the médecin traitant names who takes over."""
    now = now or timezone.now()
    next_steps, relay_note = next_steps.strip(), relay_note.strip()
    if not next_steps:
        raise DomainError(NEXT_STEPS_REQUIRED, field="next_steps")
    if relay not in Relay.values:
        raise DomainError(RELAY_REQUIRED, field="relay")
    if relay in (Relay.PHARMACY, Relay.NURSE, Relay.OTHER) and not relay_note:
        raise DomainError(RELAY_WHO_REQUIRED, field="relay_note")
    booking = Booking.objects.select_for_update(of=("self",)).select_related("slot", "request").get(pk=booking.pk)
    if not booking.slot.is_spot_time:
        raise DomainError(DEBRIEF_NOT_SPOT)
    if not TelemedicineSpot.objects.filter(site=booking.slot.site_id, nurses=professional).exists():
        raise DomainError(DEBRIEF_NOT_YOURS, code="not_yours")
    if booking.status == BookingStatus.CANCELLED:
        raise DomainError(DEBRIEF_CANCELLED)
    if booking.slot.starts_at > now:
        raise DomainError(DEBRIEF_TOO_EARLY)
    if TeleconsultationDebrief.objects.filter(booking=booking).exists():
        raise DomainError(DEBRIEF_ALREADY, code="already")
    debrief = TeleconsultationDebrief.objects.create(
        booking=booking,
        understanding_checked=understanding_checked,
        next_steps=next_steps[:2000],
        relay=relay,
        relay_note=relay_note[:300],
        by=user,
        at=now,
    )
    request = referrals.request_lock(booking.request)
    relay_text = Relay(relay).label + (f" ({debrief.relay_note})" if debrief.relay_note else "")
    text = DEBRIEF_TEXT % {
        "checked": _("yes") if understanding_checked else _("no"),
        "steps": debrief.next_steps if debrief.next_steps.endswith(".") else debrief.next_steps + ".",
        "relay": relay_text,
    }
    referrals.request_debriefed(request=request, user=user, at=now, text=str(text))
    return debrief
