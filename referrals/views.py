from __future__ import annotations

from typing import Any, cast

import segno
from django.contrib import messages
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import Role, User
from accounts.policies import PUBLIC, CellMixin, Perm
from agenda import selectors as agenda_selectors
from agenda import services as agenda_services
from agenda.backfill import freed_slots
from agenda.finder import ORDER_RULE, Found, find, shown_from
from agenda.forms import FinderForm
from agenda.models import books_directly
from audit.recording import record_list, record_read
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from common.http import client_address
from common.phones import takes_sms
from common.views import CellFormView, CellListView, CellSettingsEdit, Column
from directory import selectors as directory_selectors
from directory import services as directory_services
from directory.models import Profession, Professional
from notifications import services as notifications
from notifications.selectors import messages_about

from . import selectors, services
from .filters import PartnerFilter
from .forms import (
    AnswerForm,
    CallbackForm,
    CloseForm,
    IntakeForm,
    NoteForm,
    PartnerForm,
    PhoneIntakeForm,
    ProtocolQuestionForm,
    ProtocolRuleForm,
    PublicForm,
    QualificationForm,
    QuestionForm,
    ReferralSettingsForm,
    ReorientForm,
    ShiftForm,
)
from .models import (
    CareChannel,
    Channel,
    Elsewhere,
    Partner,
    ProtocolQuestion,
    ProtocolRule,
    ReasonCategory,
    Request,
    Urgency,
)
from .states import OPEN, Status, allowed


def _request_url(request: Request) -> str:
    return reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})


# The request page's "show more" parameters: how many rows of the slot finder, and of the slots to move to.
FINDER_SHOWN, MOVE_SHOWN, MOVE_PAGE = "finder-shown", "move-shown", 8


def _more_query(params: QueryDict, name: str, found: Found | None) -> str:
    """The page's query string with `name` asking for the next rows: the filters and the rest kept."""
    if found is None or not found.more:
        return ""
    more = params.copy()
    more[name] = str(found.next_limit)
    return more.urlencode()


class QueueView(CellMixin, TemplateView):
    """The cell's open requests, most pressing first; the table refreshes itself (htmx) without reloading."""

    permission = Perm.QUEUE_VIEW
    template_name = "referrals/queue.html"
    LIMIT = 200  # the most pressing ones; beyond, the filters narrow the list

    def get_template_names(self) -> list[str]:
        if getattr(self.request, "htmx", False):
            return ["referrals/_queue_rows.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        filters = selectors.QueueFilters.from_params(self.request.GET)
        requests = selectors.queue(self.membership, filters)
        shown = list(requests[: self.LIMIT])
        record_list(self.request, cell=self.cell, what="queue", requests=shown)
        context.update(
            requests=shown,
            total=len(shown) if len(shown) < self.LIMIT else requests.count(),
            filters=filters,
            now=timezone.now(),
            open_statuses=[(s.value, s.label) for s in Status if s in OPEN],
            care_channels=CareChannel.choices,
            urgencies=Urgency.choices,
            can_handle=self.allows(Perm.REQUEST_HANDLE),
            freed=freed_slots(self.cell, timezone.now()) if not getattr(self.request, "htmx", False) else [],
        )
        return context


class IntakeView(CellFormView):
    """A requester's web form."""

    permission = Perm.REQUEST_SUBMIT
    form_class: type[IntakeForm] = IntakeForm
    template_name = "referrals/intake.html"
    cancel_url_name = "referrals:my_requests"
    title = _("Send a patient")
    channel = Channel.WEB

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def requester(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"requester_professional": self.membership.professional, "requester_site": self.membership.site}

    chosen_slot = ""  # the label of the slot chosen elsewhere (the SAS platform), shown above the form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # the form is built here, which sets chosen_slot
        context["chosen_slot"] = self.chosen_slot
        return context

    def wanted_slot(self) -> int | None:
        """The slot chosen elsewhere (`?creneau=`: the SAS platform's link to a slot), when it is a number."""
        value = self.request.GET.get("creneau", "")
        return int(value) if value.isdigit() and len(value) < 12 else None

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        if "slot" in form.fields:
            # Seed 004: the pharmacist books a GP's SNP slot, the GP an imaging slot, with the request.
            may_book = self.channel == Channel.WEB and books_directly(self.membership.requester_type)
            if may_book:
                choices = agenda_selectors.direct_booking_choices(
                    self.cell, self.membership.requester_type, timezone.now(), wanted=self.wanted_slot()
                )
                form.fields["slot"].choices = [("", "—"), *choices]
                if not form.is_bound and str(self.wanted_slot()) in dict(choices):
                    form.initial["slot"] = str(self.wanted_slot())
                    self.chosen_slot = dict(choices)[str(self.wanted_slot())]
            else:
                del form.fields["slot"]
        return form

    def save(self, form: IntakeForm) -> Model:
        data = form.cleaned_data
        patient = form.patient_data(
            requester_answers=data["requester_answers"],
            mt_name=data["mt_name"],
            mt_situation=data["mt_situation"],
        )
        need = services.NeedData(
            reason=data["reason"],
            reason_category=data["reason_category"],
            care_channel=data["care_channel"],
            exam_type=data["exam_type"],
            urgency=data["urgency"],
            elsewhere=data["elsewhere"],
        )
        assert isinstance(self.request.user, User)
        with transaction.atomic():  # the request and its direct booking, or neither
            created = services.request_create(
                cell=self.cell,
                channel=self.channel,
                patient=patient,
                need=need,
                submitted_by=self.request.user,
                vital_emergency=data["vital_emergency"],
                submission_key=data["submission_key"],
                **self.requester(data),
            )
            if data.get("slot"):
                slot = agenda_selectors.slot_for(self.cell, int(data["slot"]))
                agenda_services.slot_book(
                    slot=slot,
                    request=created,
                    user=self.request.user,
                    requester_type=self.membership.requester_type,
                )
        return created

    def success_url_for(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return _request_url(obj)

    def success_message(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return gettext("Request %(reference)s received: the cell calls the patient back.") % {
            "reference": obj.reference
        }


class PhoneIntakeView(IntakeView):
    """A coordinator types a request received on the professionals-only number."""

    permission = Perm.REQUEST_PHONE_INTAKE
    form_class = PhoneIntakeForm
    cancel_url_name = "referrals:queue"
    title = _("Request received by phone")
    channel = Channel.PHONE

    def requester(self, data: dict[str, Any]) -> dict[str, Any]:
        professional = data["requester_professional"]
        if professional is None and data["requester_site"] is None and data["new_requester_last_name"].strip():
            professional = self.new_requester(data)
        return {"requester_professional": professional, "requester_site": data["requester_site"]}

    def new_requester(self, data: dict[str, Any]) -> Professional:
        """Add the requester to the directory on the fly; its errors land on the new requester's fields."""
        identifier = data["new_requester_rpps"].replace(" ", "")
        fields = {"rpps": identifier} if len(identifier) >= 11 else {"adeli": identifier}
        try:
            return directory_services.professional_save(
                cell=self.cell,
                last_name=data["new_requester_last_name"],
                first_name=data["new_requester_first_name"],
                profession=data["new_requester_profession"] or Profession.OTHER,
                phone=data["new_requester_phone"] or "",
                **fields,
            )
        except DomainError as error:
            field = {"rpps": "new_requester_rpps", "adeli": "new_requester_rpps"}.get(error.field or "")
            raise DomainError(error.message, field=field or "new_requester_last_name", code=error.code) from error

    def save(self, form: IntakeForm) -> Model:
        # The new requester and the request are saved together, or neither; the coordinator who took the call holds
        # the request at once, so that no colleague calls the same patient.
        user = self.request.user
        assert isinstance(user, User)
        with transaction.atomic():
            created = super().save(form)
            assert isinstance(created, Request)
            try:
                return services.request_take(request=created, user=user)
            except DomainError as error:
                if error.code not in ("held", "not_open"):
                    raise
                return created  # the same form sent again after a colleague took or closed the request

    def success_message(self, obj: Model) -> str:
        assert isinstance(obj, Request)
        return gettext("Request %(reference)s recorded: you hold it, call the patient back.") % {
            "reference": obj.reference
        }


class RequesterSearch(CellMixin, View):
    """The cell's professionals matching what the coordinator types on the phone intake (static/js/professional.js),
    as JSON: each one's id and label ("Dr Claire MARTIN — General practitioner — Argentan"). The form still checks
    that the id chosen is one of the cell's."""

    permission = Perm.REQUEST_PHONE_INTAKE
    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        found = directory_selectors.professional_search(self.cell, request.GET.get("q", "")[:100])
        return JsonResponse({"suggestions": [{"id": pro.pk, "label": pro.long_label()} for pro in found]})


class MyRequests(CellMixin, TemplateView):
    permission = Perm.OWN_REQUESTS
    template_name = "referrals/my_requests.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["requests"] = sent = list(selectors.requests_sent(self.membership)[:200])
        record_list(self.request, cell=self.cell, what="requests_sent", requests=sent)
        return context


class RequestDetail(CellMixin, TemplateView):
    permission = Perm.REQUEST_VIEW
    template_name = "referrals/request_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = selectors.request_for(self.membership, self.kwargs["pk"])
        for_requester = self.membership.role == Role.REQUESTER
        duplicates = list(selectors.duplicates_of(request)) if not for_requester else []
        # The page names the possible duplicates' patients too: their requests are in the row.
        record_read(
            cell=self.cell,
            request_obj=request,
            also=[pk for flag in duplicates for pk in (flag.first_id, flag.second_id) if pk != request.pk],
        )
        kind = self.request.GET.get("kind", "")
        user = self.request.user
        assert isinstance(user, User)
        # The supervisor's answers, at the top of the page for whoever handles the request, read from then on.
        answers = services.answers_read(request=request, user=user) if self.allows(Perm.REQUEST_HANDLE) else []
        can_orient = self.allows(Perm.REQUEST_HANDLE) and allowed(request.status, Status.ORIENTED)
        finder_form = FinderForm(self.request.GET or None, prefix="finder")
        can_move = self.allows(Perm.REQUEST_HANDLE) and request.status == Status.ORIENTED
        params = self.request.GET
        found = (
            find(request, timezone.now(), finder_form.filters(), shown_from(params.get(FINDER_SHOWN)))
            if can_orient
            else None
        )
        move_found = (
            find(request, timezone.now(), limit=shown_from(params.get(MOVE_SHOWN), MOVE_PAGE), page=MOVE_PAGE)
            if can_move
            else None
        )
        callbacks = list(request.callbacks.select_related("by")) if not for_requester else []
        is_holder = request.holder_id == user.pk and request.status in OPEN
        questions = selectors.questions_of(request) if not for_requester else []
        today = timezone.localdate()
        born = request.patient_birth_date
        context.update(
            age=today.year - born.year - ((today.month, today.day) < (born.month, born.day)) if born else None,
            next_try=callbacks[-1].next_try_at if callbacks and request.status in OPEN else None,
            question_waiting=any(question.answered_at is None for question in questions),
            req=request,
            now=timezone.now(),
            answers_waiting=answers,
            for_requester=for_requester,
            events=selectors.timeline(request, for_requester=for_requester),
            can_handle=self.allows(Perm.REQUEST_HANDLE) and request.status in OPEN,
            is_holder=request.holder_id == self.request.user.pk,
            callbacks=callbacks,
            messages_sent=messages_about(request) if not for_requester else [],
            patient_opted_out=bool(request.patient_phone)
            and notifications.is_opted_out(request.cell_id, request.patient_phone.as_e164),
            patient_takes_sms=takes_sms(request.patient_phone) if request.patient_phone else False,
            duplicates=duplicates,
            callback_form=kwargs.get("callback_form") or CallbackForm(prefix="callback", ready=is_holder),
            close_form=kwargs.get("close_form") or CloseForm(prefix="close"),
            reorient_form=kwargs.get("reorient_form")
            or ReorientForm(
                resources=selectors.resources_for(request, kind), initial={"kind": kind}, prefix="reorient"
            ),
            note_form=kwargs.get("note_form") or NoteForm(prefix="note"),
            ask_form=kwargs.get("ask_form") or QuestionForm(prefix="ask"),
            qualify_form=kwargs.get("qualify_form")
            or QualificationForm(questions=services.protocol_for(self.cell)[0], prefix="qualify"),
            qualifications=request.qualifications.select_related("by") if not for_requester else [],
            questions=questions,
            booking=agenda_selectors.active_booking(request),
            finder_form=finder_form,
            found=found,
            candidates=found.candidates if found else None,
            finder_more=_more_query(params, FINDER_SHOWN, found),
            order_rule=ORDER_RULE,
            can_orient=can_orient,
            move_found=move_found,
            move_candidates=move_found.candidates if move_found else None,
            move_more=_more_query(params, MOVE_SHOWN, move_found),
            on_duty=services.supervisor_on_duty(self.cell) if not for_requester else None,
            limit=services.settings_for(self.cell).max_failed_callbacks,
        )
        for name in ("callback_form", "close_form", "reorient_form", "note_form", "ask_form", "qualify_form"):
            describe_fields(context[name])
        return context


class RequestAction(RequestDetail):
    """One action on a request (take, release, validate, callback, close, reorient, note), posted from its page.

    Actions without a form apply at once; the others re-show the request page with the form's errors (nothing done).
    """

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]
    FORM_ACTIONS = ("callback", "close", "reorient", "note", "ask", "qualify")

    def bound_form(self, action: str, target: Request) -> Form:
        """Each form of the request page has its action as prefix, so that their fields never share an id."""
        data = self.request.POST
        if action == "callback":
            return CallbackForm(data, prefix=action)
        if action == "close":
            return CloseForm(data, prefix=action)
        if action == "reorient":
            kind = data.get("reorient-kind", "")
            return ReorientForm(data, resources=selectors.resources_for(target, kind), prefix=action)
        if action == "ask":
            return QuestionForm(data, prefix=action)
        if action == "qualify":
            return QualificationForm(data, questions=services.protocol_for(target.cell)[0], prefix=action)
        return NoteForm(data, prefix=action)

    def apply(self, action: str, target: Request, user: User, form: Form | None) -> None:
        data = form.cleaned_data if form is not None else {}
        if action == "take":
            services.request_take(request=target, user=user)
        elif action == "release":
            services.request_release(request=target, user=user)
        elif action == "validate":
            services.request_validate(request=target, user=user)
        elif action == "opt_out":
            notifications.patient_opt_out(request=target, user=user)
            messages.success(self.request, gettext("Noted: no more messages will be sent to this patient's phone."))
        elif action == "callback":
            result = services.callback_log(request=target, user=user, **data)
            if result.propose_unreachable:
                message = gettext(
                    "%(count)s failed attempts: close the request as unreachable? The requester will be told."
                )
                messages.warning(self.request, message % {"count": result.request.failed_callbacks})
        elif action == "close":
            services.request_close(request=target, user=user, **data)
        elif action == "reorient":
            services.request_reorient(
                request=target, user=user, resource=data["resource"], reason=data["reason"], note=data["note"]
            )
        elif action == "qualify":
            assert isinstance(form, QualificationForm)
            qualification = services.qualification_record(
                request=target,
                user=user,
                answers=form.answers(),
                care_channel=data["care_channel"],
                modality=data["modality"],
                urgency=data["urgency"],
                exam_type=data["exam_type"],
                reason=data["reason"],
            )
            if qualification.red_flags:
                flags = "; ".join(qualification.red_flags)
                messages.error(self.request, str(services.RED_FLAG_STOPS % {"flags": flags}))
        elif action == "ask":
            services.question_ask(request=target, user=user, question=data["question"])
            on_duty = services.supervisor_on_duty(target.cell)
            if on_duty is not None:
                messages.success(self.request, gettext("Question sent; %(name)s is on duty.") % {"name": on_duty})
        else:
            services.request_add_note(request=target, user=user, **data)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = kwargs["action"]
        if action not in ("take", "release", "validate", "opt_out", "preview", *self.FORM_ACTIONS):
            raise Http404
        target = selectors.request_for(self.membership, kwargs["pk"])
        if action == "preview":
            # What the protocol suggests for the answers typed so far (htmx, as the coordinator answers).
            typed = QualificationForm(request.POST, questions=services.protocol_for(target.cell)[0], prefix="qualify")
            outcome = services.qualification_preview(cell=target.cell, answers=typed.answers())
            context = {"outcome": outcome, "suggested": services.suggestion_labels(outcome)}
            return render(request, "referrals/_suggestion.html", context)
        user = request.user
        assert isinstance(user, User)
        form = self.bound_form(action, target) if action in self.FORM_ACTIONS else None
        if form is None or form.is_valid():
            try:
                self.apply(action, target, user, form)
            except DomainError as error:
                if form is None:
                    messages.error(request, str(error.message))
                    if getattr(request, "htmx", False):
                        # From the queue (htmx): reload the page, which shows the message, rather than swap.
                        response = HttpResponse(status=204)
                        response["HX-Refresh"] = "true"
                        return response
                    return HttpResponseRedirect(_request_url(target))
                add_to_form(form, error)
        if form is not None and form.errors:
            context = self.get_context_data(**{f"{action}_form": form})
            context["failed_form"] = form
            return render(request, self.template_name, context, status=422)
        if action == "take" and getattr(request, "htmx", False):
            # From the queue: the coordinator goes straight to the request they took.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = _request_url(target)
            return response
        return HttpResponseRedirect(_request_url(target))


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
        return HttpResponseRedirect(_request_url(target))


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
        context.update(partner=partner, public_cell=partner.cell)
        return context


class PartnerList(CellListView):
    permission = Perm.PARTNERS_MANAGE
    filterset_class = PartnerFilter
    title = _("Partner organisations (QR codes)")
    columns = [
        Column(_("Name"), "name", link=True),
        Column(_("Kind"), "kind"),
        Column(_("Commune"), "commune"),
        Column(_("Requests"), "request_count"),
        Column(_("QR code active"), "is_active"),
    ]
    detail_url_name = "referrals:partner_poster"
    create_url_name = "referrals:partner_create"
    create_permission = Perm.PARTNERS_MANAGE
    create_label = _("Add a partner")
    empty_label = _("No partner yet.")

    def base_queryset(self) -> QuerySet[Partner]:
        return selectors.partner_list(self.cell)


class PartnerEdit(CellFormView):
    permission = Perm.PARTNERS_MANAGE
    form_class = PartnerForm
    cancel_url_name = "referrals:partner_list"
    detail_url_name = "referrals:partner_poster"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the partner") if self.object else gettext("New partner organisation")

    def get_object(self) -> Partner | None:
        return selectors.partner_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: PartnerForm) -> Model:
        return services.partner_save(cell=self.cell, partner=cast(Partner | None, self.object), **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("referrals:partner_poster", kwargs={"cell": self.cell.slug, "pk": obj.pk})


class PartnerPoster(CellMixin, TemplateView):
    """A page to print and display at the partner's: the QR code and what it is for."""

    permission = Perm.PARTNERS_MANAGE
    template_name = "referrals/partner_poster.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        partner = selectors.partner_get(self.cell, self.kwargs["pk"])
        url = self.request.build_absolute_uri(reverse("public:request", kwargs={"token": partner.token}))
        context.update(partner=partner, url=url, qr_svg=mark_safe(segno.make(url, error="m").svg_inline(scale=6)))  # noqa: S308
        return context


class ProtocolView(CellMixin, TemplateView):
    """The cell's qualification protocol: its questions, red flags and rules."""

    permission = Perm.PROTOCOL_VIEW
    template_name = "referrals/protocol.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["questions"] = selectors.protocol_questions(self.cell)
        context["can_manage"] = self.allows(Perm.PROTOCOL_MANAGE)
        return context


class ProtocolQuestionEdit(CellFormView):
    permission = Perm.PROTOCOL_MANAGE
    form_class = ProtocolQuestionForm
    cancel_url_name = "referrals:protocol"
    title = _("Protocol question")

    def get_object(self) -> Model | None:
        return selectors.protocol_question_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: ProtocolQuestionForm) -> Model:
        question = cast(ProtocolQuestion | None, self.object)
        return services.protocol_question_save(cell=self.cell, question=question, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("referrals:protocol", kwargs={"cell": self.cell.slug})


class ProtocolRuleEdit(CellFormView):
    permission = Perm.PROTOCOL_MANAGE
    form_class = ProtocolRuleForm
    cancel_url_name = "referrals:protocol"
    title = _("Protocol rule")

    def get_object(self) -> Model | None:
        self.question = selectors.protocol_question_get(self.cell, self.kwargs["pk"])
        if "rule_pk" in self.kwargs:
            return selectors.protocol_rule_get(self.question, self.kwargs["rule_pk"])
        return None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = reverse("referrals:protocol", kwargs={"cell": self.cell.slug})
        context["title"] = f"{self.title} — {self.question}"
        return context

    def save(self, form: ProtocolRuleForm) -> Model:
        rule = cast(ProtocolRule | None, self.object)
        return services.protocol_rule_save(question=self.question, rule=rule, **form.cleaned_data)

    def success_url_for(self, obj: Model) -> str:
        return reverse("referrals:protocol", kwargs={"cell": self.cell.slug})


class ReferralSettingsEdit(CellSettingsEdit):
    """How the cell handles requests: failed callbacks before closing is proposed, idle time that frees a hold."""

    form_class = ReferralSettingsForm
    title = _("Handling of requests")

    def get_object(self) -> Model:
        return services.settings_for(self.cell)
