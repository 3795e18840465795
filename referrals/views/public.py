"""The patient's form behind a partner's QR code, and its thanks page (no account)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.policies import PUBLIC
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.http import client_address
from territory import opening

from .. import selectors, services
from ..forms import PublicForm
from ..models import Channel, Elsewhere, ReasonCategory, Urgency


@method_decorator(never_cache, name="dispatch")
class PublicRequest(TemplateView):
    """The patient's form behind a partner's QR code: no account, nothing shown back, robots and floods refused."""

    permission = PUBLIC
    template_name = "referrals/public_form.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.partner = selectors.partner_by_token(kwargs["token"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = kwargs.get("form") or PublicForm(cell=self.partner.cell)
        describe_fields(form)
        context.update(form=form, partner=self.partner, cell=None, public_cell=self.partner.cell)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = PublicForm(request.POST, cell=self.partner.cell)
        thanks = HttpResponseRedirect(reverse("public:thanks", kwargs={"token": self.partner.token}))
        if form.is_robot():
            return thanks  # a robot learns nothing
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=422)
        data = form.cleaned_data
        try:
            services.public_throttle(partner=self.partner, address=client_address(request))
            services.request_create(
                cell=self.partner.cell,
                channel=Channel.QR,
                partner=self.partner,
                submitted_by=None,
                submission_key=form.submission_key,
                patient=services.PatientData(
                    last_name=data["last_name"],
                    first_name=data["first_name"],
                    commune=data["commune"],
                    birth_date=data["birth_date"],
                    phone=data["phone"],
                    mt_situation=data["mt_situation"],
                ),
                need=services.NeedData(
                    reason=data["reason"],
                    reason_category=ReasonCategory.OTHER,
                    care_channel=data["need"],
                    urgency=Urgency.THIS_WEEK,
                    elsewhere=Elsewhere.UNKNOWN,
                ),
            )
        except DomainError as error:
            add_to_form(form, error)
            return self.render_to_response(
                self.get_context_data(form=form), status=429 if error.code == "throttled" else 422
            )
        return thanks


class PublicThanks(TemplateView):
    permission = PUBLIC
    template_name = "referrals/public_thanks.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner = selectors.partner_by_token(kwargs["token"])
        # Out of hours the request is taken all the same: say when the cell reopens, and the 15.
        closed_answer = opening.closed_answer(partner.cell, timezone.now())
        context.update(partner=partner, public_cell=partner.cell, closed_answer=closed_answer)
        return context
