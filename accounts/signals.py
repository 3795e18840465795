"""Sessions follow the account: each login is noted, and disabling an account ends all its sessions at once."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from audit.models import AccessAction
from audit.services import access_record

from .backends import PSC_BACKEND
from .middleware import LOGIN_AT, SEEN_AT
from .models import LoginSession, User


@receiver(user_logged_in, dispatch_uid="accounts_session_opened")
def session_opened(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = int(time.time())
    request.session[LOGIN_AT] = request.session[SEEN_AT] = now
    if request.session.session_key is None:
        request.session.save()
    LoginSession.objects.update_or_create(session_key=request.session.session_key, defaults={"user": user})
    # The session names the backend that logged the user in: a session opened through Pro Santé Connect says so.
    how = "psc" if request.session.get(BACKEND_SESSION_KEY) == PSC_BACKEND else "password"
    access_record(action=AccessAction.LOGIN, object_type="session", user=user, detail=how)


@receiver(user_logged_out, dispatch_uid="accounts_session_closed")
def session_closed(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        LoginSession.objects.filter(session_key=key).delete()


def sessions_end(user: User) -> int:
    keys = list(LoginSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    LoginSession.objects.filter(user=user).delete()
    return len(keys)


@receiver(post_save, sender=User, dispatch_uid="accounts_disabled_account_sessions")
def account_disabled(sender: Any, instance: User, **kwargs: Any) -> None:
    if not instance.is_active:
        sessions_end(instance)
