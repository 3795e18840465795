"""The second factor: a TOTP code from an authenticator app, or a single-use recovery code.

Every account must have one: all of them can read patient data (a requester their requests, an effector their
appointments). The only exception: demo accounts, where AIGUILLAGE_DEMO is on (a banner says so); production settings
force it off. The devices and their checks are django-otp's (TOTP per RFC 6238, with its own growing delay after
wrong codes); this module says who needs what and how an account enrols.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.errors import DomainError

from .models import User

RECOVERY_CODES = 10
WRONG_CODE = _("This code is not right (or was already used). Check your phone's time, then type the new code.")
TOTP_NAME = "application"
RECOVERY_NAME = "recovery"


def demo_exempt(user: User) -> bool:
    return bool(getattr(settings, "AIGUILLAGE_DEMO", False)) and user.is_demo


def needs_second_factor(user: User) -> bool:
    return not demo_exempt(user)


# Where the session records a login that is strong by itself (Pro Santé Connect: CPS card or e-CPS app, eIDAS
# "substantial"), with the account it was made for: such a session needs no TOTP code on top.
STRONG_LOGIN = "aiguillage_strong_login"


def strong_login_record(*, request: Any, method: str) -> None:
    """After `login()`: this session was opened by a strong authentication `method` (e.g. "psc") of this user."""
    request.session[STRONG_LOGIN] = {"method": method, "user": request.user.pk}


def session_is_verified(request: Any) -> bool:
    """Whether the logged-in user of this request passed a second factor (django-otp) or a strong login."""
    user = request.user
    if not user.is_authenticated:
        return False
    if getattr(user, "is_verified", None) is not None and user.is_verified():
        return True
    strong = request.session.get(STRONG_LOGIN)
    return isinstance(strong, dict) and strong.get("user") == user.pk


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def enrolment_start(*, user: User, pending_id: int | None) -> TOTPDevice:
    """The secret the user's app will share (shown as a QR code), bound to the session that asked for it
    (`pending_id`, kept in that session): another session asking starts a new secret and voids the earlier ones,
    so a secret someone else copied from this page can never be the one confirmed."""
    if pending_id is not None:
        pending = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending_id).first()
        if pending is not None:
            return pending
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def enrolment_confirm(*, user: User, pending_id: int | None, token: str) -> list[str]:
    """The first right code confirms this session's secret; earlier devices go; new recovery codes, shown once, are
    returned."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False, pk=pending_id).first() if pending_id else None
    if pending is None or not pending.verify_token(_digits(token)):
        raise DomainError(WRONG_CODE, field="token")
    TOTPDevice.objects.filter(user=user).exclude(pk=pending.pk).delete()
    pending.confirmed = True
    pending.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@dataclass(frozen=True)
class Verified:
    device: TOTPDevice | StaticDevice
    with_recovery_code: bool
    recovery_codes_left: int


def second_factor_check(*, user: User, token: str) -> Verified:
    """An app code, else a recovery code (used up). Wrong codes slow the next tries down (django-otp throttling)."""
    cleaned = token.strip().replace(" ", "")
    app = totp_device(user)
    _cap_pause(app)
    if app is not None and cleaned.isdigit() and app.verify_token(cleaned):
        return Verified(app, False, 0)
    recovery = StaticDevice.objects.filter(user=user, name=RECOVERY_NAME, confirmed=True).first()
    _cap_pause(recovery)
    if recovery is not None and not cleaned.isdigit() and recovery.verify_token(cleaned.lower()):
        return Verified(recovery, True, recovery.token_set.count())
    raise DomainError(WRONG_CODE, field="token")


@transaction.atomic
def second_factor_reset(*, user: User) -> None:
    """Lost phone: the cell administrator removes the account's devices; it enrols again at its next login."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _digits(token: str) -> str:
    return token.strip().replace(" ", "")


# django-otp doubles its pause after each wrong code without end: someone holding only the password could keep the
# real user out for days. Capped at 2**(10-1) seconds (about 8.5 minutes): still one guess per 8 minutes at most.
MAX_THROTTLE_FAILURES = 10


def _cap_pause(device: TOTPDevice | StaticDevice | None) -> None:
    if device is not None and device.throttling_failure_count > MAX_THROTTLE_FAILURES:
        device.throttling_failure_count = MAX_THROTTLE_FAILURES
        device.save(update_fields=["throttling_failure_count"])
