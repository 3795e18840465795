"""Requests for tests, created through the service (so every test request is a valid one)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from accounts.models import User
from referrals import services
from referrals.models import Channel, Request
from territory.models import Cell


def make_request(
    cell: Cell,
    *,
    submitted_by: User | None = None,
    now: datetime | None = None,
    channel: str = Channel.PHONE,
    **overrides: Any,
) -> Request:
    patient = {
        "last_name": "Delaunay",
        "first_name": "Rose",
        "commune": cell.territories.first().communes.first(),
        "phone": "+33612345678",
        "mt_situation": "no_mt",
    }
    need = {
        "reason": "Fièvre depuis deux jours",
        "reason_category": "fever_infection",
        "care_channel": "gp",
        "urgency": "48h",
        "elsewhere": "er",
    }
    for key in list(overrides):
        if key in patient or key in ("birth_date", "sex", "street", "requester_answers", "mt_name"):
            patient[key] = overrides.pop(key)
        elif key in need or key == "exam_type":
            need[key] = overrides.pop(key)
    requester = overrides.pop("requester_professional", None)
    if requester is None and channel != Channel.QR and "requester_site" not in overrides:
        requester = cell.professionals.first()
    return services.request_create(
        cell=cell,
        channel=channel,
        patient=services.PatientData(**patient),
        need=services.NeedData(**need),
        submitted_by=submitted_by,
        requester_professional=requester,
        now=now,
        **overrides,
    )


def make_ready(request: Request, user: User, *, now: datetime | None = None) -> Request:
    """The request worked through as the cell does before a proposal may book it: the patient reached by phone,
    then qualified (against the cell's protocol, nothing answered). `user` then holds it."""
    services.callback_log(request=request, user=user, outcome="reached", now=now)
    services.qualification_record(request=request, user=user, answers={}, now=now)
    request.refresh_from_db()
    return request
