"""Who is acting and from where, for the access log rows written while a web request is served.

The middleware keeps the HTTP request in a context variable; services that record an access (deep below the view,
e.g. the timeline line of a request's change) read the user and the address from it. Outside a web request (the
worker, a scheduled job), the actor is "system" unless the caller says otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from common.http import client_address

_current: ContextVar[HttpRequest | None] = ContextVar("aiguillage_access_origin", default=None)

SYSTEM = "system"
PATIENT = "patient"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Origin:
    user: Any  # accounts.User or None
    actor: str
    ip: str | None


def normalised_ip(raw: str) -> str | None:
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return None


def origin() -> Origin:
    request = _current.get()
    if request is None:
        return Origin(user=None, actor=SYSTEM, ip=None)
    user = getattr(request, "user", None)
    ip = normalised_ip(client_address(request))
    if user is not None and user.is_authenticated:
        return Origin(user=user, actor=user.get_username(), ip=ip)
    # An API call authenticated by token: the API sets request.auth to the membership.
    membership = getattr(request, "auth", None)
    if membership is not None and hasattr(membership, "user"):
        return Origin(user=membership.user, actor=membership.user.get_username(), ip=ip)
    return Origin(user=None, actor=ANONYMOUS, ip=ip)


class AccessOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _current.set(request)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
