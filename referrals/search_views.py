"""Find a request: every request of the cell, open or finished, for a patient who calls back."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.views.generic import TemplateView

from accounts.policies import CellMixin, Perm
from audit.recording import record_list
from common.forms import describe_fields

from .search import COUNTED, search_page
from .search_forms import RequestSearchForm

RESULTS_ID = "search-results"


class RequestSearchView(CellMixin, TemplateView):
    """A GET form; typing asks only for the results (htmx), a submit reloads the page with the errors at their field."""

    permission = Perm.QUEUE_VIEW
    template_name = "referrals/request_search.html"

    def get_template_names(self) -> list[str]:
        htmx = getattr(self.request, "htmx", None)
        if htmx and htmx.target == RESULTS_ID:
            return ["referrals/_search_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = RequestSearchForm(self.request.GET or None)
        search = form.search()
        results = search_page(
            self.membership, search, page=self.request.GET.get("page"), per_page=int(settings.AIGUILLAGE_PAGE_SIZE)
        )
        record_list(self.request, cell=self.cell, what="request_search", requests=results.requests)
        query = self.request.GET.copy()
        query.pop("page", None)
        describe_fields(form)
        context.update(
            form=form,
            searched=not search.is_empty,
            results=results,
            requests=results.requests,
            counted=COUNTED,
            query=query.urlencode(),
            results_id=RESULTS_ID,
        )
        return context
