"""The authentication backend of sessions opened through Pro Santé Connect.

Django records in the session which backend logged the user in; this one says "Pro Santé Connect". It authenticates
nothing by itself (`authenticate` always answers None): the PSC callback (accounts/psc_views.py) checks the provider's
answer, finds the account and calls `login(..., backend=PSC_BACKEND)`. Loading the user of later requests is
ModelBackend's (an inactive account is logged out).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User

PSC_BACKEND = "accounts.backends.ProSanteConnectBackend"


class ProSanteConnectBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> User | None:
        return None
