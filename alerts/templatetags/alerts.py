"""The alert panel of a request's page: the cascades so far, and the form to start one."""

from __future__ import annotations

from typing import Any

from django import template

from alerts.forms import CascadeStartForm
from alerts.models import Cascade, CascadeStatus
from alerts.selectors import running_alerts_for
from referrals.models import Request

register = template.Library()


@register.inclusion_tag("alerts/_panel.html", takes_context=True)
def alerts_panel(context: dict[str, Any], req: Request, can_orient: bool) -> dict[str, Any]:
    cascades = list(
        Cascade.objects.filter(request=req)
        .select_related("started_by")
        .prefetch_related("alerts__professional")
        .order_by("-started_at")[:3]
    )
    running = next((c for c in cascades if c.status == CascadeStatus.RUNNING), None)
    return {
        "req": req,
        "cell": context["cell"],
        "csrf_token": context.get("csrf_token"),
        "cascades": cascades,
        "running": running,
        "form": CascadeStartForm(request=req) if can_orient and running is None else None,
    }


@register.inclusion_tag("alerts/_waiting.html")
def effector_alerts(professional_id: int) -> dict[str, Any]:
    """The alerts waiting for this effector's answer, on their home page."""
    return {"alerts": running_alerts_for([professional_id])}
