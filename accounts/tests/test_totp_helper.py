"""The tests' authenticator app (accounts/tests/totp.py) gives codes the server accepts, login after login."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.totp import code_for
from tests.factories import UserFactory


@pytest.mark.parametrize("drift", [0, 1, -1])
def test_two_logins_in_a_row_get_two_accepted_codes_whatever_the_learnt_drift(db: None, drift: int) -> None:
    device = TOTPDevice.objects.create(user=UserFactory(), name="app", confirmed=True, drift=drift)
    assert device.verify_token(code_for(device))
    device.refresh_from_db()
    assert device.verify_token(code_for(device))  # the same step's code is used: the next step's is given
