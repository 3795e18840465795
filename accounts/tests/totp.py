"""Codes an authenticator app would show, computed by the test from the device's secret (RFC 6238)."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def code_for(device: TOTPDevice) -> str:
    """A code the server accepts now and still in the next step: the device's current step (with the drift django-otp
    learnt), or the next one if this step's code was already used (django-otp refuses a code twice), as a phone
    slightly ahead would show; when both were used, the code of the step after, once it comes."""
    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    step_t = max(now_t, device.last_t + 1)
    if step_t > now_t + device.tolerance:
        time.sleep(device.step)  # both usable steps already used: wait for the next one
        return code_for(device)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, 0)
    totp.time = step_t * device.step + device.t0 + 1  # a time inside that step
    return f"{totp.token():0{device.digits}d}"
