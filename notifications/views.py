from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView

from accounts.models import User
from accounts.policies import CellMixin, Perm
from audit.models import AccessAction
from audit.recording import record_list
from audit.services import access_record
from common.views import CellListView, Column

from . import patient_sms, selectors, services, templating
from .filters import MessageFilter
from .forms import TemplateForm
from .models import Message, MessageKind, MessageTemplate


class Outbox(CellListView):
    """What the cell sent, to whom, and whether it arrived (in the demo, the place to read the e-mails)."""

    permission = Perm.MESSAGES_VIEW
    filterset_class = MessageFilter
    title = _("Messages sent")
    columns = [
        Column(_("Queued at"), "created_at", link=True),
        Column(_("What"), "kind"),
        Column(_("Recipient"), "to"),
        Column(_("Channel"), "channel"),
        Column(_("Status"), "status"),
        Column(_("Tries"), "attempts"),
    ]
    detail_url_name = "notifications:message_detail"
    empty_label = _("No message yet.")

    def base_queryset(self) -> QuerySet[Message]:
        return selectors.outbox(self.cell)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        shown = [message.request_id for message in context["object_list"] if message.request_id]
        record_list(self.request, cell=self.cell, what="messages", requests=shown)
        return context


class MessageDetail(CellMixin, TemplateView):
    permission = Perm.MESSAGES_VIEW
    template_name = "notifications/message_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        message = selectors.message_for(self.cell, self.kwargs["pk"])
        if message.request_id:
            access_record(
                action=AccessAction.READ,
                object_type="message",
                object_id=message.pk,
                requests=[message.request_id],
                cell=self.cell,
            )
        context.update(title=message.subject, message_sent=message)
        return context


class HealthMessageRead(CellMixin, TemplateView):
    """A message with health details (the MT's summary), read after logging in: the link its notice e-mail carries
    instead of the details. Every role but the cell administrator's may ask; only its addressee (the professional
    the account is linked to) and the cell's staff who see the outbox read it, anyone else gets a 404; each reading
    is logged (docs/mssante.md)."""

    permission = Perm.HEALTH_MESSAGE_READ  # then `selectors.health_message_for` decides for this message
    template_name = "notifications/health_message.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        message = selectors.health_message_for(
            self.cell,
            self.kwargs["pk"],
            professional_id=self.membership.professional_id,
            staff=self.allows(Perm.MESSAGES_VIEW),
        )
        access_record(
            action=AccessAction.READ,
            object_type="message",
            object_id=message.pk,
            requests=[message.request_id] if message.request_id else [],
            cell=self.cell,
        )
        context.update(title=MessageKind(message.kind).label, message_sent=message)
        return context


class TemplateList(CellMixin, TemplateView):
    """The messages to patients a cell administrator may reword, with their current text."""

    permission = Perm.CELL_MANAGE
    template_name = "notifications/template_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        own = set(MessageTemplate.objects.filter(cell=self.cell).values_list("kind", flat=True))
        context["templates"] = [
            {
                "kind": kind,
                "label": MessageKind(kind).label,
                "text": templating.text_for(self.cell.pk, kind),
                "own": kind in own,
            }
            for kind in templating.BLANKS
        ]
        context["title"] = _("Messages to patients")
        return context


class TemplateEdit(CellMixin, FormView):
    """Reword one message, with a live preview filled with an example (htmx) and its length in SMS."""

    permission = Perm.CELL_MANAGE
    template_name = "notifications/template_edit.html"
    form_class = TemplateForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if kwargs["kind"] not in templating.BLANKS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["kind"] = self.kwargs["kind"]
        kwargs["cell"] = self.cell
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        return {"text": templating.text_for(self.cell.pk, self.kwargs["kind"])}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind = self.kwargs["kind"]
        form = context["form"]
        text = form["text"].value() or ""
        context.update(
            title=MessageKind(kind).label,
            kind=kind,
            blanks=templating.BLANKS[kind],
            preview=preview(self.cell, kind, text),
            default=str(templating.DEFAULTS[kind]),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.POST.get("action") == "preview":  # htmx, as the administrator types
            form = self.get_form()
            form.is_valid()
            return render(
                request,
                "notifications/_preview.html",
                {"preview": preview(self.cell, kwargs["kind"], form.data.get("text", ""))},
            )
        if request.POST.get("action") == "reset":
            services.template_reset(cell=self.cell, kind=kwargs["kind"])
            messages.success(request, gettext("Aiguillage's text is back."))
            return HttpResponseRedirect(reverse("notifications:templates", kwargs={"cell": self.cell.slug}))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: TemplateForm) -> HttpResponse:
        user = self.request.user
        assert isinstance(user, User)
        services.template_save(cell=self.cell, kind=self.kwargs["kind"], text=form.cleaned_data["text"], user=user)
        messages.success(self.request, gettext("Text saved: the next messages use it."))
        return HttpResponseRedirect(reverse("notifications:templates", kwargs={"cell": self.cell.slug}))


STEPS = {
    1: _("nothing left out"),
    2: _("the site's name for SMS instead of its full name"),
    3: _("the privacy link left out (the cancel page leads to it)"),
    4: _("optional parts [in brackets] left out, the last first"),
    5: _("the street address left out"),
    6: _("the place reduced to its commune"),
    7: _("your text abandoned: patients get only the day, the time, the commune and the cancel link"),
}


def preview(cell: Any, kind: str, text: str) -> dict[str, Any]:
    """The text as the patient of the cell's longest place would get it (the real address of this site, a cancel
    link of its real length), its length in SMS, what gave way; or why it cannot be used."""
    try:
        templating.check(kind, text)
    except templating.TemplateError as error:
        return {"error": str(error)}
    worst = patient_sms.worst_case(cell, kind, text)
    return {
        "text": worst.fitted.text,
        "segments": worst.fitted.segments,
        "step": STEPS[worst.fitted.step],
        "abandoned": not worst.keeps_essentials,
    }
