from __future__ import annotations

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from accounts.policies import PUBLIC, Perm
from common.errors import DomainError, add_to_form
from common.views import CellFormView

from . import services
from .forms import AnswerForm, SurveyPolicyForm
from .models import Survey


@method_decorator(never_cache, name="dispatch")
class SurveyAnswer(View):
    """The survey's page, reached from the e-mail: the questions and a comment; answered once."""

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
            services.survey_answer(token=token, scores=form.scores(), comment=form.cleaned_data["comment"])
        except DomainError as error:
            if error.field:
                add_to_form(form, error)
                return self._page(request, survey, form, status=400)
            return self._page(request, survey, form, closed=str(error.message), status=409)
        return render(request, "surveys/thanks.html", {"public_cell": survey.cell})

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


class SurveyPolicyEdit(CellFormView):
    permission = Perm.CELL_MANAGE
    form_class = SurveyPolicyForm
    cancel_url_name = "accounts:cell_home"
    title = _("Satisfaction surveys")

    def get_object(self) -> Model:
        return services.policy_for(self.cell.pk)

    def save(self, form: SurveyPolicyForm) -> Model:
        saved: Model = form.save()
        return saved

    def success_url_for(self, obj: Model) -> str:
        return reverse("accounts:cell_home", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Settings saved.")
