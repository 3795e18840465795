"""Alert cascades: started and stopped from the request's page, answered by the effector from the link they got, and
the cell's policy."""

from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.models import User
from accounts.policies import PUBLIC
from audit.recording import record_read
from common.errors import DomainError, add_to_form
from common.views import CellSettingsEdit
from referrals.views.actions import RequestPageAction

from . import selectors, services
from .forms import AlertPolicyForm, AnswerForm, CascadeStartForm
from .models import Alert, Cascade


class CascadeStart(RequestPageAction):
    def act(self, user: User) -> tuple[int, str]:
        target = self.target
        form = CascadeStartForm(self.request.POST, request=target)
        if not form.is_valid():
            raise DomainError(services.USUAL_NOT_FIT, field="usual_professional")
        cascade = services.cascade_start(
            request=target, user=user, usual_professional=form.cleaned_data["usual_professional"]
        )
        count = cascade.alerts.count()
        return target.pk, gettext("%(count)s effector(s) alerted.") % {"count": count}


class CascadeStop(RequestPageAction):
    def request_pk(self) -> int:
        return int(self.cascade().request_id)

    def cascade(self) -> Cascade:
        return get_object_or_404(Cascade, pk=self.kwargs["pk"], cell=self.cell)

    def act(self, user: User) -> tuple[int, str]:
        cascade = services.cascade_stop(cascade=self.cascade(), user=user)
        return cascade.request_id, gettext("Alerts stopped.")


@method_decorator(never_cache, name="dispatch")
class AlertAnswer(View):
    """The effector's link (in their SMS or e-mail): what is asked — the care, the commune, the deadline, never the
    patient's name — and two answers: "I see them at…" or "I cannot". An unknown link gets a plain page."""

    permission = PUBLIC

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            alert = selectors.alert_by_token(token)
        except DomainError:
            return render(request, "alerts/link_invalid.html", status=404)
        record_read(
            cell=alert.cascade.request.cell_id,
            request_obj=alert.cascade.request,
            what="alert",
            detail="alert link",
            actor=str(alert.professional),
        )
        return self._page(request, alert, AnswerForm())

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            alert = selectors.alert_by_token(token)
        except DomainError:
            return render(request, "alerts/link_invalid.html", status=404)
        if request.POST.get("action") == "decline":
            try:
                services.alert_decline(token=token)
            except DomainError as error:
                return self._page(request, alert, AnswerForm(), closed=str(error.message), status=409)
            return self._done(request, alert, gettext("Noted: you cannot. Thank you for answering."))
        form = AnswerForm(request.POST)
        if not form.is_valid():
            return self._page(request, alert, form, status=400)
        try:
            booking = services.alert_accept(token=token, starts_at=form.starts_at())
        except DomainError as error:
            if error.field in ("starts_at", "start", "day"):  # the time chosen: the effector chooses another
                add_to_form(form, error)
                return self._page(request, alert, form, status=400)
            return self._page(request, alert, form, closed=str(error.message), status=409)
        return self._done(
            request,
            alert,
            gettext("Thank you: the appointment is booked on %(when)s; the patient and the cell are told.")
            % {"when": f"{timezone.localtime(booking.slot.starts_at):%d/%m/%Y %H:%M}"},
            late=selectors.after_deadline(alert.cascade.request, booking.slot.starts_at),
        )

    def _page(
        self, request: HttpRequest, alert: Alert, form: AnswerForm, closed: str = "", status: int = 200
    ) -> HttpResponse:
        if not closed:
            try:
                services.check_open(alert)
            except DomainError as error:
                closed = str(error.message)
        request_ = alert.cascade.request
        context = {
            "alert": alert,
            "req": request_,
            "form": form,
            "closed": closed,
            "public_cell": request_.cell,
            "deadline_passed": request_.deadline_at <= timezone.now(),
        }
        return render(request, "alerts/answer.html", context, status=status)

    def _done(self, request: HttpRequest, alert: Alert, text: str, late: bool = False) -> HttpResponse:
        """The answer noted; an appointment after the request's deadline says so (the cell is told too)."""
        request_ = alert.cascade.request
        context = {"alert": alert, "text": text, "late": late, "req": request_, "public_cell": request_.cell}
        return render(request, "alerts/answered.html", context)


class AlertPolicyEdit(CellSettingsEdit):
    """How the cell's alert cascades widen: each step's time, the nearby radius, the appointment's length."""

    form_class = AlertPolicyForm
    title = _("Alert cascades")

    def get_object(self) -> Model:
        return selectors.policy_for(self.cell.pk)
