"""The cell's home page: each role has its own; the coordinators' shows the cell's figures beside the queue's."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from accounts import selectors as account_selectors
from accounts.models import Role
from accounts.policies import CellMixin, Perm
from referrals.selectors import queue_summary


class CellHome(CellMixin, TemplateView):
    """Each role has its own home page in the cell."""

    permission = Perm.CELL_HOME

    def get_template_names(self) -> list[str]:
        return [f"accounts/home/{self.membership.role}.html"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.membership.role in (Role.COORDINATOR, Role.SUPERVISOR, Role.CELL_ADMIN):
            context["overview"] = account_selectors.cell_overview(self.cell)
            context["queue"] = queue_summary(self.cell, timezone.now())
        return context
