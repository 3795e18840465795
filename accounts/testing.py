"""For the test suite and the benchmarks: a test client logged in with both factors, as after a real login."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def mark_second_factor_verified(client: Client, user: Any) -> None:
    """After `force_login`: a TOTP device of the user, marked as verified in the session as django-otp does."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
