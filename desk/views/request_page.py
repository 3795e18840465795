"""The request page: the request, its slot finder and booking, the messages sent about it, and its actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.generic import TemplateView

from accounts.models import User
from accounts.policies import CellMixin, Perm
from agenda.finder import ORDER_RULE, Found, shown_from
from agenda.forms import FinderForm
from audit.recording import record_read
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from desk.selectors import MOVE_PAGE, request_page
from notifications import services as notifications
from referrals import selectors, services
from referrals.forms import CallbackForm, CloseForm, NoteForm, QualificationForm, QuestionForm, ReorientForm
from referrals.models import Request
from referrals.states import OPEN
from referrals.views import request_url

# The request page's "show more" parameters: how many rows of the slot finder, and of the slots to move to.
FINDER_SHOWN, MOVE_SHOWN = "finder-shown", "move-shown"


def _more_query(params: QueryDict, name: str, found: Found | None) -> str:
    """The page's query string with `name` asking for the next rows: the filters and the rest kept."""
    if found is None or not found.more:
        return ""
    more = params.copy()
    more[name] = str(found.next_limit)
    return more.urlencode()


class RequestDetail(CellMixin, TemplateView):
    permission = Perm.REQUEST_VIEW
    template_name = "referrals/request_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = selectors.request_for(self.membership, self.kwargs["pk"])
        user = self.request.user
        assert isinstance(user, User)
        may_handle = self.allows(Perm.REQUEST_HANDLE)
        # The supervisor's answers, at the top of the page for whoever handles the request, read from then on.
        answers = services.answers_read(request=request, user=user) if may_handle else []
        params = self.request.GET
        finder_form = FinderForm(params or None, prefix="finder")
        page = request_page(
            request,
            membership=self.membership,
            user=user,
            may_handle=may_handle,
            now=timezone.now(),
            finder_filters=finder_form.filters(),
            finder_shown=shown_from(params.get(FINDER_SHOWN)),
            move_shown=shown_from(params.get(MOVE_SHOWN), MOVE_PAGE),
        )
        # The page names the possible duplicates' patients too: their requests are in the row.
        record_read(cell=self.cell, request_obj=request, also=page.also_read())
        kind = params.get("kind", "")
        ready = page.is_holder and request.status in OPEN
        context.update(
            page.as_context(),
            now=timezone.now(),
            answers_waiting=answers,
            callback_form=kwargs.get("callback_form") or CallbackForm(prefix="callback", ready=ready),
            close_form=kwargs.get("close_form") or CloseForm(prefix="close"),
            reorient_form=kwargs.get("reorient_form")
            or ReorientForm(
                resources=selectors.resources_for(request, kind), initial={"kind": kind}, prefix="reorient"
            ),
            note_form=kwargs.get("note_form") or NoteForm(prefix="note"),
            ask_form=kwargs.get("ask_form") or QuestionForm(prefix="ask"),
            qualify_form=kwargs.get("qualify_form")
            or QualificationForm(questions=services.protocol_for(self.cell)[0], prefix="qualify"),
            finder_form=finder_form,
            finder_more=_more_query(params, FINDER_SHOWN, page.found),
            move_more=_more_query(params, MOVE_SHOWN, page.move_found),
            order_rule=ORDER_RULE,
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
                    return HttpResponseRedirect(request_url(target))
                add_to_form(form, error)
        if form is not None and form.errors:
            context = self.get_context_data(**{f"{action}_form": form})
            context["failed_form"] = form
            return render(request, self.template_name, context, status=422)
        if action == "take" and getattr(request, "htmx", False):
            # From the queue: the coordinator goes straight to the request they took.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = request_url(target)
            return response
        return HttpResponseRedirect(request_url(target))
