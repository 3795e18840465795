"""Password reset by e-mail (Django's views, in French): the same answer whether the address is known or not, a
pause per e-mail address and per visitor's address (throttle.py), and no login at the end: the new password leads to
the login page, then the second factor as always."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy

from audit.models import AccessAction
from audit.services import access_record
from common.forms import describe_fields
from common.http import client_address

from . import throttle
from .policies import PUBLIC


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form; the link of the e-mail starts with AIGUILLAGE_BASE_URL like every absolute link of Aiguillage
    (not with the host the request named, which a visitor chooses)."""

    def save(self, *args: Any, **kwargs: Any) -> None:
        kwargs["extra_email_context"] = {"base_url": settings.AIGUILLAGE_BASE_URL.rstrip("/")}
        super().save(*args, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    permission = PUBLIC
    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: Any) -> HttpResponse:
        email, address = form.cleaned_data["email"], client_address(self.request)
        pause = throttle.reset_paused(email, address)
        if pause is None:
            throttle.reset_request_record(email, address)  # this one is sent; the next ones may wait
            access_record(action=AccessAction.SECURITY, object_type="password", actor="reset", detail="asked")
            return super().form_valid(form)
        access_record(action=AccessAction.SECURITY, object_type="password", actor="reset", detail="paused")
        context = self.get_context_data(form=form, pause_minutes=pause.minutes)
        return self.render_to_response(context, status=429)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        describe_fields(context["form"])
        return context


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    permission = PUBLIC
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link of the e-mail: a new password (the validators apply); every session of the account ends (Django
    changes the session hash) and the person logs in again, with their second factor."""

    permission = PUBLIC
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        access_record(action=AccessAction.SECURITY, object_type="password", user=form.user, detail="reset by e-mail")
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if context.get("form") is not None:
            describe_fields(context["form"])
        return context


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    permission = PUBLIC
    template_name = "accounts/password_reset_complete.html"
