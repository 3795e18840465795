"""The request page: the request, its slot finder and booking, the messages sent about it, and its actions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from accounts.models import User
from accounts.policies import CellMixin, Perm, declare
from agenda.finder import ORDER_RULE, Found, shown_from
from agenda.forms import FinderForm
from audit.recording import record_read
from common.errors import DomainError, add_to_form
from common.forms import describe_fields
from desk.selectors import MOVE_PAGE, RequestPage, finder_panel, request_page
from notifications import services as notifications
from referrals import selectors, services
from referrals.forms import (
    CallbackForm,
    CloseForm,
    NoteForm,
    QualificationForm,
    QuestionForm,
    ReorientForm,
    RequestTagsForm,
)
from referrals.states import OPEN
from referrals.views.actions import RequestPageAction
from territory import opening

# The request page's "show more" parameters: how many rows of the slot finder, and of the slots to move to.
FINDER_SHOWN, MOVE_SHOWN = "finder-shown", "move-shown"


def _more_query(params: QueryDict, name: str, found: Found | None) -> str:
    """The page's query string with `name` asking for the next rows: the filters and the rest kept."""
    if found is None or not found.more:
        return ""
    more = params.copy()
    more[name] = str(found.next_limit)
    return more.urlencode()


# The finders' panels, by the id their filters and "show more" target (htmx's HX-Target): asked for alone, they are
# answered alone, the request and its finder, instead of the whole page (its 30 reads, its access-log row) from which
# htmx would keep the panel only. The page itself draws them empty: each asks for itself once the page is shown (the
# slot finder) or opened (the move table), so that a view of the request costs no search.
FINDER_PANELS = {"slot-finder": "referrals/_finder.html", "move-finder": "referrals/_move_finder.html"}


def _asks_for(params: QueryDict, name: str) -> bool:
    """The page's address asks for a finder drawn in the page (`?finder=1`, `?move=1`: the panels' links without
    JavaScript), or carries its filters or its "show more" (`finder-…`, `move-…`: a finder used without JavaScript)."""
    return any(key == name or key.startswith(f"{name}-") for key in params)


def _finder_form(params: QueryDict) -> FinderForm:
    """The finder's filters, bound when the address carries some (else the finder says no slot, not "widen them")."""
    return FinderForm(params if any(key.startswith("finder-") for key in params) else None, prefix="finder")


class RequestDetail(CellMixin, TemplateView):
    permission = Perm.REQUEST_VIEW
    template_name = "referrals/request_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        target = htmx.target if htmx else None
        if htmx and target in FINDER_PANELS:
            # Asked for by the panel itself (HX-Trigger: its placeholder, the page just shown or the table opened).
            return self.finder_panel(target, first=htmx.trigger == target)
        return super().get(request, *args, **kwargs)

    def finder_panel(self, target: str, *, first: bool = False) -> HttpResponse:
        """One finder, as its panel's htmx asks for it: slots, places and times, no patient data (nothing logged).
        Its `first` drawing, in place of the page's placeholder, also tells the page's live region how many came."""
        request = selectors.request_for(self.membership, self.kwargs["pk"])
        params = self.request.GET
        finder_form = _finder_form(params)
        panel = finder_panel(
            request,
            may_handle=self.allows(Perm.REQUEST_HANDLE),
            now=timezone.now(),
            moving=target == "move-finder",
            finder_filters=finder_form.filters(),
            finder_shown=shown_from(params.get(FINDER_SHOWN)),
            move_shown=shown_from(params.get(MOVE_SHOWN), MOVE_PAGE),
        )
        if panel.found is None and panel.move_found is None:
            raise Http404
        context = panel.as_context() | {
            "cell": self.cell,
            "finder_form": finder_form,
            "finder_more": _more_query(params, FINDER_SHOWN, panel.found),
            "move_more": _more_query(params, MOVE_SHOWN, panel.move_found),
            "order_rule": ORDER_RULE,
            "announce": first,
        }
        return render(self.request, FINDER_PANELS[target], context)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        request = selectors.request_for(self.membership, self.kwargs["pk"])
        user = self.request.user
        assert isinstance(user, User)
        may_handle = self.allows(Perm.REQUEST_HANDLE)
        # The supervisor's answers, at the top of the page for whoever handles the request, read from then on.
        answers = services.answers_read(request=request, user=user) if may_handle else []
        params = self.request.GET
        finder_form = _finder_form(params)
        now = timezone.now()
        page = request_page(
            request,
            membership=self.membership,
            user=user,
            may_handle=may_handle,
            now=now,
            finder_filters=finder_form.filters(),
            finder_shown=shown_from(params.get(FINDER_SHOWN)),
            move_shown=shown_from(params.get(MOVE_SHOWN), MOVE_PAGE),
            with_finder=_asks_for(params, "finder"),
            with_move=_asks_for(params, "move"),
        )
        # The page names the possible duplicates' patients too: their requests are in the row.
        record_read(cell=self.cell, request_obj=request, also=page.also_read())
        kind = params.get("kind", "")
        ready = page.is_holder and request.status in OPEN
        context.update(
            page.as_context(),
            now=now,
            # The requester's confirmation: a request received while the cell is closed, until it reopens.
            closed_answer=None if may_handle else opening.closed_answer(self.cell, request.received_at, now=now),
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
            tags_form=kwargs.get("tags_form") or self.tags_form(page),
            finder_form=finder_form,
            finder_more=_more_query(params, FINDER_SHOWN, page.found),
            move_more=_more_query(params, MOVE_SHOWN, page.move_found),
            order_rule=ORDER_RULE,
        )
        forms = ("callback_form", "close_form", "reorient_form", "note_form", "ask_form", "qualify_form", "tags_form")
        for name in forms:
            if context[name] is not None:
                describe_fields(context[name])
        return context

    @staticmethod
    def tags_form(page: RequestPage) -> RequestTagsForm | None:
        """The tags' checkboxes, for whoever may handle the open request (the page's tags already read)."""
        if not page.can_handle:
            return None
        return RequestTagsForm(offered=page.tags_offered, prefix="tags")


class RequestButton(RequestPageAction):
    """A button of the request page on the request its address names. Refused, it says why on the page; from the
    queue (htmx), the page is reloaded to show the message rather than swapped."""

    def refused(self, error: DomainError, request_pk: int) -> HttpResponse:
        if not getattr(self.request, "htmx", False):
            return super().refused(error, request_pk)
        messages.error(self.request, str(error.message))
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response


class FormButton(RequestButton, RequestDetail):
    """A button with a form: an invalid form, or a refusal put on its field, shows the request page again with the
    errors and what was typed (nothing done). Each form has its action as prefix, so their fields never share an id."""

    form_class: ClassVar[type[Form]]

    def get_form(self) -> Form:
        return self.form_class(self.request.POST, prefix=self.kwargs["action"])

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.form = self.get_form()
        if not self.form.is_valid():
            return self.invalid()
        return super().post(request, *args, **kwargs)

    def refused(self, error: DomainError, request_pk: int) -> HttpResponse:
        add_to_form(self.form, error)
        return self.invalid()

    def invalid(self) -> HttpResponse:
        context = self.get_context_data(**{f"{self.kwargs['action']}_form": self.form})
        context["failed_form"] = self.form
        return render(self.request, self.template_name, context, status=422)


class Take(RequestButton):
    def act(self, user: User) -> tuple[int, str]:
        services.request_take(request=self.target, user=user)
        return self.target.pk, ""

    def done(self, request_pk: int) -> HttpResponse:
        if not getattr(self.request, "htmx", False):
            return super().done(request_pk)
        # From the queue: the coordinator goes straight to the request they took.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = self.page_url(request_pk)
        return response


class Release(RequestButton):
    def act(self, user: User) -> tuple[int, str]:
        services.request_release(request=self.target, user=user)
        return self.target.pk, ""


class Validate(RequestButton):
    def act(self, user: User) -> tuple[int, str]:
        services.request_validate(request=self.target, user=user)
        return self.target.pk, ""


class OptOut(RequestButton):
    def act(self, user: User) -> tuple[int, str]:
        notifications.patient_opt_out(request=self.target, user=user)
        return self.target.pk, gettext("Noted: no more messages will be sent to this patient's phone.")


class Callback(FormButton):
    form_class = CallbackForm

    def act(self, user: User) -> tuple[int, str]:
        result = services.callback_log(request=self.target, user=user, **self.form.cleaned_data)
        if result.propose_unreachable:
            message = gettext(
                "%(count)s failed attempts: close the request as unreachable? The requester will be told."
            )
            messages.warning(self.request, message % {"count": result.request.failed_callbacks})
        return self.target.pk, ""


class Close(FormButton):
    form_class = CloseForm

    def act(self, user: User) -> tuple[int, str]:
        services.request_close(request=self.target, user=user, **self.form.cleaned_data)
        return self.target.pk, ""


class Reorient(FormButton):
    def get_form(self) -> Form:
        kind = self.request.POST.get("reorient-kind", "")
        return ReorientForm(self.request.POST, resources=selectors.resources_for(self.target, kind), prefix="reorient")

    def act(self, user: User) -> tuple[int, str]:
        data = self.form.cleaned_data
        services.request_reorient(
            request=self.target, user=user, resource=data["resource"], reason=data["reason"], note=data["note"]
        )
        return self.target.pk, ""


class Qualify(FormButton):
    def get_form(self) -> Form:
        questions = services.protocol_for(self.target.cell)[0]
        return QualificationForm(self.request.POST, questions=questions, prefix="qualify")

    def act(self, user: User) -> tuple[int, str]:
        form = self.form
        assert isinstance(form, QualificationForm)
        data = form.cleaned_data
        qualification = services.qualification_record(
            request=self.target,
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
        return self.target.pk, ""


class Tags(FormButton):
    """The cell's tags on the request, ticked at qualification (or whenever the coordinator sees fit)."""

    def get_form(self) -> Form:
        offered = selectors.tags_offered(self.target.cell, self.target)
        return RequestTagsForm(self.request.POST, offered=offered, prefix="tags")

    def act(self, user: User) -> tuple[int, str]:
        services.request_tags_set(request=self.target, user=user, tags=self.form.cleaned_data["tags"])
        return self.target.pk, gettext("Tags saved.")


class Ask(FormButton):
    form_class = QuestionForm

    def act(self, user: User) -> tuple[int, str]:
        services.question_ask(request=self.target, user=user, question=self.form.cleaned_data["question"])
        on_duty = services.supervisor_on_duty(self.target.cell)
        if on_duty is None:
            return self.target.pk, ""
        return self.target.pk, gettext("Question sent; %(name)s is on duty.") % {"name": on_duty}


class Note(FormButton):
    form_class = NoteForm

    def act(self, user: User) -> tuple[int, str]:
        services.request_add_note(request=self.target, user=user, **self.form.cleaned_data)
        return self.target.pk, ""


class Preview(CellMixin, View):
    """What the protocol suggests for the answers typed so far (htmx, as the coordinator answers): nothing done."""

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        target = selectors.request_for(self.membership, kwargs["pk"])
        typed = QualificationForm(request.POST, questions=services.protocol_for(target.cell)[0], prefix="qualify")
        outcome = services.qualification_preview(cell=target.cell, answers=typed.answers())
        context = {"outcome": outcome, "suggested": services.suggestion_labels(outcome)}
        return render(request, "referrals/_suggestion.html", context)


class NoSuchAction(CellMixin, View):
    """An address naming no button: not found, once the user is known to be one who may handle requests."""

    permission = Perm.REQUEST_HANDLE
    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise Http404


# The request page's buttons by the `action` of their address, `<pk>/<action>/`.
ACTIONS: dict[str, type[CellMixin]] = {
    "take": Take,
    "release": Release,
    "validate": Validate,
    "opt_out": OptOut,
    "callback": Callback,
    "close": Close,
    "reorient": Reorient,
    "qualify": Qualify,
    "tags": Tags,
    "ask": Ask,
    "note": Note,
    "preview": Preview,
}
_ACTION_VIEWS = {name: button.as_view() for name, button in ACTIONS.items()}
_NO_SUCH_ACTION = NoSuchAction.as_view()


@declare(Perm.REQUEST_HANDLE)
def request_action(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
    """One address for the request page's buttons: its `action` names the button (ACTIONS) that answers."""
    return _ACTION_VIEWS.get(kwargs["action"], _NO_SUCH_ACTION)(request, **kwargs)
