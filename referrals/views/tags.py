"""The cell's own tags, kept by the cell administrator beside the qualification protocol (seed 002)."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from django.contrib import messages
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from common.views import CellFormView

from .. import selectors, services
from ..forms import TagForm
from ..models import Tag


class TagList(CellMixin, TemplateView):
    """The cell's tags with their chip, how many requests carry each, and the buttons to archive or restore."""

    permission = Perm.PROTOCOL_MANAGE
    template_name = "referrals/tags.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["tags"] = selectors.tag_list(self.cell)
        return context


class TagEdit(CellFormView):
    """A new tag, or a tag renamed or recoloured (the requests that carry it follow)."""

    permission = Perm.PROTOCOL_MANAGE
    form_class = TagForm
    cancel_url_name = "referrals:tags"

    @property
    def title(self) -> str:  # type: ignore[override]
        return gettext("Edit the tag") if self.object else gettext("New tag")

    def get_object(self) -> Tag | None:
        return selectors.tag_get(self.cell, self.kwargs["pk"]) if "pk" in self.kwargs else None

    def save(self, form: TagForm) -> Model:
        data = form.cleaned_data
        tag = cast(Tag | None, self.object)
        if tag is None:
            return services.tag_create(cell=self.cell, name=data["name"], colour=data["colour"])
        return services.tag_update(tag=tag, name=data["name"], colour=data["colour"])

    def success_url_for(self, obj: Model) -> str:
        return reverse("referrals:tags", kwargs={"cell": self.cell.slug})

    def success_message(self, obj: Model) -> str:
        return gettext("Tag “%(name)s” saved.") % {"name": obj}


class TagArchive(CellMixin, View):
    """Archive a tag (POST): no longer offered, kept where it was put. `TagRestore` offers it again."""

    permission = Perm.PROTOCOL_MANAGE
    http_method_names = ["post"]
    archived: ClassVar[bool] = True
    done_message = _("Tag “%(name)s” archived: no longer offered, kept on the requests that have it.")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        tag = services.tag_archive(tag=selectors.tag_get(self.cell, kwargs["pk"]), archived=self.archived)
        messages.success(request, str(self.done_message % {"name": tag.name}))
        return HttpResponseRedirect(reverse("referrals:tags", kwargs={"cell": self.cell.slug}))


class TagRestore(TagArchive):
    archived = False
    done_message = _("Tag “%(name)s” offered again.")
