"""What the satisfaction surveys follow of the other apps (decision 0016)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from referrals.models import Request, RequestEvent

from .services import request_handled

logger = logging.getLogger(__name__)


def request_moved_survey(sender: Any, request: Request, event: RequestEvent, **kwargs: Any) -> None:
    """A handled request may be sampled for a survey. A survey that cannot be queued never undoes the move it
    follows: it is given up, and logged."""
    try:
        with transaction.atomic():
            request_handled(request=request, event=event)
    except Exception:
        logger.exception("no satisfaction survey for request %s", request.pk)
