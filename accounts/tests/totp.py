"""Codes an authenticator app would show, computed by the test from the device's secret (RFC 6238)."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(device: TOTPDevice) -> str:
    """The code of the current 30-second step, or of the next one if this step's code was already used (django-otp
    refuses a code twice): within its tolerance of one step, as a phone slightly ahead would show."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        if device.last_t + 1 > totp.t() + device.tolerance:
            time.sleep(device.step)  # both usable steps already used: wait for the next one
            return code_for(device)
        totp.time = (device.last_t + 1) * device.step + device.t0
    return f"{totp.token():0{device.digits}d}"
