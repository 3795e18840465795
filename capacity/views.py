"""The cell administrator's page of the coming weeks' capacity, and the sending of a suggestion: thin views over
`planning` (the read) and `services` (the write)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.errors import DomainError

from . import planning, services

# The cell administrator's: the figures of the whole cell per place (as the full indicators), and asking its
# professionals to publish (decision 0020).
PERMISSION = Perm.INDICATORS_FULL


class CapacityPage(CellMixin, TemplateView):
    """The coming weeks per care and place: forecast, free places published, gap, suggestion and its error."""

    permission = PERMISSION
    template_name = "capacity/page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        found = planning.plan(self.cell)
        context.update(
            title=_("Capacity of the coming weeks"),
            plan=found,
            rows=[(row, planning.error_text(row)) for row in found.rows],
        )
        return context


class CapacityRequestSend(CellMixin, View):
    """Send one suggestion to the professionals concerned, then back to the page with what was done."""

    permission = PERMISSION
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        care = request.POST.get("care", "")
        place_raw = request.POST.get("place", "")
        place = int(place_raw) if place_raw.isdigit() else None
        try:
            queued = services.capacity_request_send(cell=self.cell, care=care, place=place)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(
                request,
                ngettext(
                    "The request to publish slots was sent to %(count)s professional.",
                    "The request to publish slots was sent to %(count)s professionals.",
                    queued,
                )
                % {"count": queued},
            )
        return HttpResponseRedirect(reverse("capacity:page", kwargs={"cell": self.cell.slug}))
