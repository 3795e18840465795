from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Model, Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.policies import PUBLIC, CellMixin, Perm
from common.errors import DomainError, add_to_form
from common.exports import FORMATS, spreadsheet_response
from common.views import CellSettingsEdit

from . import questionnaires, services
from .forms import (
    AnswerForm,
    QuestionForm,
    QuestionnaireAnswerForm,
    QuestionnaireForm,
    SendForm,
    SurveyPolicyForm,
)
from .models import Invitation, Questionnaire, QuestionnaireQuestion, Survey


@method_decorator(never_cache, name="dispatch")
class SurveyAnswer(View):
    """The survey's page, reached from the e-mail (the patient's: from the SMS): the questions and a comment; answered
    once. It shows the cell's name, nothing of the request nor of the patient."""

    permission = PUBLIC

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            survey = services.survey_by_token(token)
        except DomainError:
            return render(request, "surveys/link_invalid.html", status=404)
        return self._page(request, survey, AnswerForm(audience=survey.audience))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            survey = services.survey_by_token(token)
        except DomainError:
            return render(request, "surveys/link_invalid.html", status=404)
        form = AnswerForm(request.POST, audience=survey.audience)
        if not form.is_valid():
            return self._page(request, survey, form, status=400)
        try:
            answered = services.survey_answer(
                token=token,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
                no_more=form.cleaned_data.get("no_more", False),
            )
        except DomainError as error:
            if error.field:
                add_to_form(form, error)
                return self._page(request, survey, form, status=400)
            return self._page(request, survey, form, closed=str(error.message), status=409)
        context = {"public_cell": survey.cell, "no_more": answered.no_more, "answered": answered.answered_at}
        return render(request, "surveys/thanks.html", context)

    def _page(
        self, request: HttpRequest, survey: Survey, form: AnswerForm, closed: str = "", status: int = 200
    ) -> HttpResponse:
        if not closed:
            try:
                services.check_open(survey, timezone.now())
            except DomainError as error:
                closed = str(error.message)
        context = {"survey": survey, "form": form, "closed": closed, "public_cell": survey.cell}
        return render(request, "surveys/answer.html", context, status=status)


class SurveyPolicyEdit(CellSettingsEdit):
    form_class = SurveyPolicyForm
    title = _("Satisfaction surveys")

    def get_object(self) -> Model:
        return services.policy_for(self.cell.pk)


class QuestionnaireList(CellMixin, TemplateView):
    """The cell's questionnaires on SNP practices, and a new one."""

    permission = Perm.CELL_MANAGE
    template_name = "surveys/questionnaire_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", QuestionnaireForm())
        context["questionnaires"] = Questionnaire.objects.filter(cell=self.cell).annotate(
            invited=Count("invitations", distinct=True),
            answered=Count("invitations", filter=Q(invitations__answered_at__isnull=False), distinct=True),
        )
        context["title"] = _("Questionnaires on SNP practices")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = QuestionnaireForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        questionnaire = questionnaires.questionnaire_create(cell=self.cell, **form.cleaned_data)
        return HttpResponseRedirect(_detail(self.cell.slug, questionnaire.pk))


def _detail(slug: str, pk: int) -> str:
    return reverse("surveys:questionnaire", kwargs={"cell": slug, "pk": pk})


class QuestionnaireDetail(CellMixin, TemplateView):
    """One questionnaire: its questions (added while it is a draft), sending it, and its analysed answers, which
    export as CSV or XLSX (`?format=`)."""

    permission = Perm.CELL_MANAGE
    template_name = "surveys/questionnaire_detail.html"

    def questionnaire(self) -> Questionnaire:
        return get_object_or_404(Questionnaire, pk=self.kwargs["pk"], cell=self.cell)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        fmt = request.GET.get("format", "")
        if fmt in FORMATS:
            return _export(self.questionnaire(), fmt)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        questionnaire = self.questionnaire()
        context.setdefault("question_form", QuestionForm())
        context.setdefault("send_form", SendForm())
        context.update(
            questionnaire=questionnaire,
            questions=list(questionnaire.questions.all()),
            analysis=questionnaires.analysis(questionnaire) if questionnaire.status != "draft" else None,
            title=questionnaire.title,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        questionnaire = self.questionnaire()
        action = request.POST.get("action")
        try:
            if action == "add_question":
                form = QuestionForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(question_form=form), status=400)
                try:
                    questionnaires.question_add(questionnaire=questionnaire, **form.cleaned_data)
                except DomainError as error:
                    add_to_form(form, error)
                    return self.render_to_response(self.get_context_data(question_form=form), status=400)
                messages.success(request, gettext("Question added."))
            elif action == "remove_question":
                wanted = request.POST.get("question", "")
                question = get_object_or_404(
                    QuestionnaireQuestion, pk=int(wanted) if wanted.isdigit() else 0, questionnaire=questionnaire
                )
                questionnaires.question_remove(question=question)
            elif action == "send":
                send = SendForm(request.POST)
                if not send.is_valid():
                    return self.render_to_response(self.get_context_data(send_form=send), status=400)
                count = questionnaires.questionnaire_send(
                    questionnaire=questionnaire, professions=send.cleaned_data["professions"]
                )
                messages.success(request, gettext("Sent to %(count)s professional(s).") % {"count": count})
            elif action == "close":
                questionnaires.questionnaire_close(questionnaire=questionnaire)
                messages.success(request, gettext("Answers closed."))
        except DomainError as error:
            messages.error(request, str(error.message))
        return HttpResponseRedirect(_detail(self.cell.slug, questionnaire.pk))


def _export(questionnaire: Questionnaire, fmt: str) -> HttpResponse:
    """The analysed answers: one row per question and answer, with its count and percentage; the free texts."""
    result = questionnaires.analysis(questionnaire)
    rows: list[tuple[object, ...]] = []
    for item in result.questions:
        for answer, count, percent in item.counts:
            rows.append((item.question.text, answer, count, percent))
        if item.average is not None:
            rows.append((item.question.text, gettext("Average (1 to 5)"), item.answered, item.average))
        for text in item.texts:
            rows.append((item.question.text, text, "", ""))
    return spreadsheet_response(
        fmt,
        rows,
        headers=[gettext("Question"), pgettext("questionnaire", "Answer"), gettext("Count"), gettext("% of answers")],
        filename=f"questionnaire-{questionnaire.pk}",
        title=gettext("Answers"),
    )


@method_decorator(never_cache, name="dispatch")
class QuestionnaireAnswer(View):
    """The professional's page, from the e-mail link: the questions, answered once."""

    permission = PUBLIC

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            invitation = questionnaires.invitation_by_token(token)
        except DomainError:
            return render(request, "surveys/link_invalid.html", status=404)
        return self._page(request, invitation, self._form(invitation))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            invitation = questionnaires.invitation_by_token(token)
        except DomainError:
            return render(request, "surveys/link_invalid.html", status=404)
        form = self._form(invitation, request.POST)
        if not form.is_valid():
            return self._page(request, invitation, form, status=400)
        try:
            questionnaires.questionnaire_answer(token=token, answers=form.answers())
        except DomainError as error:
            if error.field:
                add_to_form(form, error)
                return self._page(request, invitation, form, status=400)
            return self._page(request, invitation, form, closed=str(error.message), status=409)
        return render(request, "surveys/thanks.html", {"public_cell": invitation.questionnaire.cell})

    @staticmethod
    def _form(invitation: Invitation, data: Any = None) -> QuestionnaireAnswerForm:
        return QuestionnaireAnswerForm(data, questions=list(invitation.questionnaire.questions.all()))

    def _page(
        self,
        request: HttpRequest,
        invitation: Invitation,
        form: QuestionnaireAnswerForm,
        closed: str = "",
        status: int = 200,
    ) -> HttpResponse:
        if not closed:
            try:
                questionnaires.check_open(invitation)
            except DomainError as error:
                closed = str(error.message)
        context = {
            "questionnaire": invitation.questionnaire,
            "form": form,
            "closed": closed,
            "public_cell": invitation.questionnaire.cell,
        }
        return render(request, "surveys/questionnaire_answer.html", context, status=status)
