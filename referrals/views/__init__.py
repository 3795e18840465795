"""The referrals' own pages, by area: supervision, the public QR-code form, configuration, the requester's list.

The pages that put requests beside the agenda and the messages (the queue, the intake, the request page) are the
desk's (desk/views/); their addresses keep the `referrals:` names (aiguillage/urls.py).
"""

from __future__ import annotations

from django.urls import reverse

from ..models import Request


def request_url(request: Request) -> str:
    """The request page's address."""
    return reverse("referrals:request_detail", kwargs={"cell": request.cell.slug, "pk": request.pk})
