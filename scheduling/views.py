"""Probes for the host's monitoring: no login, no session, nothing about patients or the platform's layout."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views import View

from accounts.policies import PUBLIC

from . import selectors


class Healthz(View):
    """The process answers (no database)."""

    permission = PUBLIC
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> JsonResponse:
        return JsonResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


class Readyz(View):
    """The database answers, every migration is applied, the worker and the schedulers were seen recently; 503 names
    what fails."""

    permission = PUBLIC
    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest) -> JsonResponse:
        failing = selectors.readiness()
        body = {"status": "failing", "failing": failing} if failing else {"status": "ok"}
        return JsonResponse(body, status=503 if failing else 200, headers={"Cache-Control": "no-store"})
