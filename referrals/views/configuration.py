"""How the cell receives and handles requests: its partners (QR codes), qualification protocol and settings."""

from __future__ import annotations

from typing import Any, cast

import segno
from django.db.models import Model, QuerySet
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.views import CellFormView, CellListView, CellSettingsEdit, Column

from .. import selectors, services
from ..filters import PartnerFilter
from ..forms import PartnerForm, ProtocolQuestionForm, ProtocolRuleForm, ReferralSettingsForm
from ..models import Partner, ProtocolQuestion, ProtocolRule


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
        return selectors.settings_for(self.cell)
