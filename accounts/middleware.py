"""Session limits and the second factor, checked on every request of a logged-in user.

- `SessionLimitsMiddleware`: a session ends after AIGUILLAGE_IDLE_MINUTES without activity and AIGUILLAGE_SESSION_HOURS
  after login. Requests a page makes by itself (the queue's refresh every 30 seconds, marked with the header
  `X-Aiguillage-Refresh`) are not activity: a queue left open on an unattended screen still logs out.
- `SecondFactorMiddleware`: until the session is verified with a second factor (django-otp) or was opened by a strong
  login (Pro Santé Connect), a logged-in user reaches only the pages that verify or set it up, and logging out;
  everything else sends them there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext

from .policies import PUBLIC
from .two_factor import is_enrolled, needs_second_factor, session_is_verified

LOGIN_AT, SEEN_AT = "aiguillage_login_at", "aiguillage_seen_at"
REFRESH_HEADER = "HTTP_X_AIGUILLAGE_REFRESH"
# Activity is written to the session at most once a minute (a session write per request would cost for nothing).
SEEN_GRANULARITY = 60


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method == "GET" and not getattr(request, "htmx", False):
        return f"{url}?{urlencode({'next': request.get_full_path()})}"
    return url


class SessionLimitsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            login_at = request.session.setdefault(LOGIN_AT, now)
            seen_at = request.session.setdefault(SEEN_AT, now)
            idle = now - seen_at > int(settings.AIGUILLAGE_IDLE_MINUTES) * 60
            too_long = now - login_at > int(settings.AIGUILLAGE_SESSION_HOURS) * 3600
            if idle or too_long:
                logout(request)
                messages.info(
                    request,
                    gettext("Your session ended after %(minutes)s minutes without activity: log in again.")
                    % {"minutes": settings.AIGUILLAGE_IDLE_MINUTES}
                    if idle
                    else gettext("Your session ended after %(hours)s hours: log in again.")
                    % {"hours": settings.AIGUILLAGE_SESSION_HOURS},
                )
                return _redirect(request, _with_next(reverse("accounts:login"), request))
            if REFRESH_HEADER not in request.META and now - seen_at >= SEEN_GRANULARITY:
                request.session[SEEN_AT] = now
        return self.get_response(request)


# Where a logged-in user without a verified second factor may still go.
OPEN_BEFORE_SECOND_FACTOR = {"accounts:otp_verify", "accounts:otp_setup", "accounts:logout", "set_language"}


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or session_is_verified(request) or not needs_second_factor(user):
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        view = getattr(match.func, "view_class", match.func)
        if match.view_name in OPEN_BEFORE_SECOND_FACTOR or getattr(view, "permission", None) == PUBLIC:
            return self.get_response(request)
        target = "accounts:otp_verify" if is_enrolled(user) else "accounts:otp_setup"
        return _redirect(request, _with_next(reverse(target), request))


class NoStoreMiddleware:
    """Pages of a logged-in user carry patients' data or secrets: no browser or proxy keeps a copy (the Back button
    after logout on a shared computer shows nothing)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
