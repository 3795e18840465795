"""The placement assistant's screen: filters, a proposal beside first-come-first-served, and its application.

Between "propose" and "apply" the proposal's pairings travel with the form, signed by the server (for this cell, an
hour at most): the browser only chooses which of them to apply, and each is checked again on the server before its
booking (`proposal.proposal_apply`). The result is kept in the session and shown after a redirect (a reload books
nothing again)."""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from accounts.models import User
from accounts.policies import CellMixin, Perm
from audit.recording import record_list
from common.errors import DomainError
from referrals.models import CareChannel, Urgency
from referrals.selectors import QueueFilters, tags_for_filter

from . import proposal as placement

PROPOSAL_MAX_AGE = 60 * 60  # seconds: an older proposal is asked for again
_RESULT_KEY = "placement_applied"


def proposal_token(cell_pk: int, pairings: list[tuple[int, int]]) -> str:
    """The proposal's pairings, signed for this cell: what the apply form sends back."""
    return signing.dumps([list(pair) for pair in pairings], salt=f"placement.proposal:{cell_pk}", compress=True)


def _proposal_pairings(cell_pk: int, token: str) -> list[tuple[int, int]]:
    try:
        pairs = signing.loads(token, salt=f"placement.proposal:{cell_pk}", max_age=PROPOSAL_MAX_AGE)
    except signing.BadSignature as error:  # altered, of another cell, or expired
        raise DomainError(placement.NO_PROPOSAL, code="no_proposal") from error
    return [(int(r), int(s)) for r, s in pairs]


def _parse_pairings(values: list[str]) -> list[tuple[int, int]]:
    """`<request id>-<slot id>` values; anything else is refused."""
    pairings = []
    for value in values[:5000]:
        request_id, _dash, slot_id = value.partition("-")
        if not (request_id.isdigit() and slot_id.isdigit() and len(value) < 40):
            raise DomainError(placement.PAIRING_UNKNOWN, code="unknown")
        pairings.append((int(request_id), int(slot_id)))
    return pairings


class Assistant(CellMixin, TemplateView):
    """The filters, then (after "Propose") the proposal as a table; htmx swaps the table in without a reload."""

    permission = Perm.REQUEST_HANDLE
    template_name = "placement/assistant.html"

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["placement/_proposal.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = QueueFilters.from_params(self.request.GET)
        context.update(
            filters=filters,
            care_channels=CareChannel.choices,
            urgencies=Urgency.choices,
            tags=tags_for_filter(self.cell) if not getattr(self.request, "htmx", False) else [],
        )
        if "proposer" in self.request.GET:
            proposal = placement.proposal_build(membership=self.membership, filters=filters, now=timezone.now())
            shown = [row.request for row in proposal.rows] + [item.request for item in proposal.apart]
            record_list(self.request, cell=self.cell, what="placement", requests=shown)
            context.update(proposal=proposal, token=proposal_token(self.cell.pk, proposal.pairings))
        return context


class Apply(CellMixin, TemplateResponseMixin, ContextMixin):
    """Apply the chosen pairings of the signed proposal, then show what was booked and what was not (POST only)."""

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]
    template_name = "placement/applied.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        try:
            pairings = _parse_pairings(request.POST.getlist("pairing"))
            allowed = _proposal_pairings(self.cell.pk, request.POST.get("proposal", ""))
            applied = placement.proposal_apply(
                cell=self.cell, user=user, pairings=pairings, allowed=allowed, now=timezone.now()
            )
        except DomainError as error:
            return self.render_to_response(self.get_context_data(error=error.message), status=400)
        request.session[_RESULT_KEY] = {
            "cell": self.cell.pk,
            "booked": [done.booking.pk for done in applied.booked],
            "not_applied": [[n.request.pk, n.slot.pk, str(n.reason)] for n in applied.not_applied],
        }
        return HttpResponseRedirect(reverse("placement:applied", kwargs={"cell": self.cell.slug}))


class Applied(CellMixin, TemplateView):
    """The last application's result: booked N, and the pairings not applied with their reason."""

    permission = Perm.REQUEST_HANDLE
    template_name = "placement/applied.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        result = self.request.session.get(_RESULT_KEY) or {}
        if result.get("cell") == self.cell.pk:
            applied = placement.applied_for(self.cell, result["booked"], result["not_applied"])
            shown = [done.request for done in applied.booked] + [n.request for n in applied.not_applied]
            record_list(self.request, cell=self.cell, what="placement", requests=shown)
            context["applied"] = applied
        return context
