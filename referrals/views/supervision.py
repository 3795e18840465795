"""The supervising doctor's questions and duty roster, and the coordinators' decisions on possible duplicates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from accounts.models import User
from accounts.policies import CellMixin, Perm
from audit.recording import record_list
from common.errors import DomainError, add_to_form
from common.forms import describe_fields

from .. import selectors, services
from ..forms import AnswerForm, ShiftForm
from . import request_url


class SupervisorInbox(CellMixin, TemplateView):
    """The supervising doctor's pending questions, oldest first, each answerable in place."""

    permission = Perm.SUPERVISOR_ANSWER
    template_name = "referrals/supervisor_inbox.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        questions = list(selectors.questions_pending(self.cell.pk))
        record_list(
            self.request, cell=self.cell, what="supervisor_questions", requests=[q.request_id for q in questions]
        )
        context.update(
            questions=questions,
            now=timezone.now(),
            answer_form=AnswerForm(),
            on_duty=services.supervisor_on_duty(self.cell),
        )
        return context


class QuestionAnswer(CellMixin, View):
    permission = Perm.SUPERVISOR_ANSWER
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        question = selectors.question_for(self.cell.pk, kwargs["pk"])
        form = AnswerForm(request.POST)
        user = request.user
        assert isinstance(user, User)
        if form.is_valid():
            try:
                services.question_answer(question=question, user=user, **form.cleaned_data)
            except DomainError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, gettext("Answer sent to the coordinators."))
        else:
            messages.error(request, gettext("Choose a decision to answer."))
        return HttpResponseRedirect(reverse("referrals:supervisor_inbox", kwargs={"cell": self.cell.slug}))


class DutyRoster(CellMixin, TemplateView):
    """Who is the supervising doctor on duty now, and the shifts to come."""

    permission = Perm.ROSTER_VIEW
    template_name = "referrals/duty_roster.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        form = kwargs.get("form") or ShiftForm(cell=self.cell)
        describe_fields(form)
        context.update(
            shifts=selectors.shifts(self.cell.pk, since=now),
            on_duty=services.supervisor_on_duty(self.cell, now),
            form=form,
            can_manage=self.allows(Perm.ROSTER_MANAGE),
        )
        return context


class ShiftAdd(DutyRoster):
    permission = Perm.ROSTER_MANAGE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ShiftForm(request.POST, cell=self.cell)
        if form.is_valid():
            try:
                services.shift_add(cell=self.cell, **form.cleaned_data)
            except DomainError as error:
                add_to_form(form, error)
        if form.errors:
            return self.render_to_response(self.get_context_data(form=form), status=422)
        messages.success(request, gettext("Shift added to the roster."))
        return HttpResponseRedirect(reverse("referrals:duty_roster", kwargs={"cell": self.cell.slug}))


class DuplicateDecide(CellMixin, View):
    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        flag = selectors.duplicate_flag_for(self.cell.pk, kwargs["pk"])
        user = request.user
        assert isinstance(user, User)
        try:
            services.duplicate_decide(flag=flag, user=user, decision=request.POST.get("decision", ""))
        except DomainError as error:
            messages.error(request, str(error.message))
        back = request.POST.get("back")
        target = flag.first if str(flag.second_id) != back else flag.second
        return HttpResponseRedirect(request_url(target))
