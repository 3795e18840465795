"""The page every message to a patient links to: what the cell keeps about them, why, how long, and their rights."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from accounts.policies import PUBLIC, declare
from territory.models import Cell

from .retention import policy_for


@declare(PUBLIC)
@require_safe
def privacy(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Cell, slug=slug)
    context = {
        "public_cell": found,
        "request_months": policy_for(found).request_months,
        "log_months": settings.AIGUILLAGE_ACCESS_LOG_MONTHS,
    }
    return render(request, "privacy/privacy.html", context)
