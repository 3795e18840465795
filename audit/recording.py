"""What views call to log that they showed patients' data: one row per page of a patient's request, one row per list.

A list that refreshes itself (the queue, every 30 seconds) and shows the same patients again is logged once per quarter
of an hour and per user: the same reading, continued. Any change in who is shown, or a new quarter, writes a row.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest

from .models import AccessAction
from .services import access_record

SAME_LIST_SECONDS = 15 * 60
_SESSION_KEY = "audit_lists"


def record_read(
    *,
    cell: Any,
    request_obj: Any,
    what: str = "request",
    detail: str = "",
    actor: str | None = None,
    also: Iterable[Any] = (),
) -> None:
    """A page that showed one patient's request (and `also` these requests' patients, named on it)."""
    access_record(
        action=AccessAction.READ,
        object_type=what,
        object_id=getattr(request_obj, "reference", "") or request_obj.pk,
        requests=[request_obj, *also],
        cell=cell,
        detail=detail,
        actor=actor,
    )


def record_list(http_request: HttpRequest, *, cell: Any, what: str, requests: Iterable[Any], detail: str = "") -> None:
    """A page that listed several patients (their requests' ids)."""
    ids = sorted({int(getattr(item, "pk", item)) for item in requests})
    if not ids:
        return
    digest = hashlib.sha256(f"{getattr(cell, 'pk', cell)}:{what}:{ids}".encode()).hexdigest()[:16]
    session = getattr(http_request, "session", None)
    seen: dict[str, list[Any]] = dict(session.get(_SESSION_KEY, {})) if session is not None else {}
    previous = seen.get(what)
    now = time.time()
    if previous and previous[0] == digest and now - previous[1] < SAME_LIST_SECONDS:
        return
    access_record(
        action=AccessAction.LIST,
        object_type=what,
        requests=ids,
        cell=cell,
        detail=detail or f"{len(ids)}",
    )
    if session is not None:
        seen[what] = [digest, now]
        session[_SESSION_KEY] = seen
