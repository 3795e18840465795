"""A patient's rights (RGPD art. 15–17): everything held about them, its correction, its erasure where the law
allows. The cell administrator acts on the patient's request; every step is in the access log."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from agenda.models import Booking
from audit.models import AccessEvent
from notifications.models import Message
from referrals.models import Callback, Qualification, Request, RequestEvent, SupervisorQuestion


def same_patient(request: Request) -> list[Request]:
    """The cell's requests about this patient: same name, and same date of birth or same phone (never merged by
    name alone: two people may share one)."""
    if request.anonymised_at is not None:
        return [request]
    same = Q(pk=request.pk)
    if request.patient_birth_date:
        same |= Q(patient_birth_date=request.patient_birth_date)
    if request.patient_phone:
        same |= Q(patient_phone=request.patient_phone)
    return list(
        Request.objects.filter(cell_id=request.cell_id, patient_search_name=request.patient_search_name)
        .filter(same)
        .select_related("patient_commune", "requester_professional", "requester_site", "cell")
        .order_by("received_at")
    )


def _when(value: Any) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def patient_record(requests: list[Request]) -> dict[str, Any]:
    """Everything Aiguillage holds about the patient of these requests, as plain data (the JSON export, the PDF)."""
    ids = [each.pk for each in requests]
    first = requests[0]
    events = list(RequestEvent.objects.filter(request_id__in=ids).order_by("at"))
    callbacks = list(Callback.objects.filter(request_id__in=ids).order_by("at"))
    questions = list(SupervisorQuestion.objects.filter(request_id__in=ids).order_by("asked_at"))
    qualifications = list(Qualification.objects.filter(request_id__in=ids).order_by("at"))
    bookings = list(Booking.objects.filter(request_id__in=ids).select_related("slot__site", "slot__professional"))
    messages = list(Message.objects.filter(request_id__in=ids).order_by("created_at"))
    accesses = AccessEvent.objects.filter(
        Q.create([("subjects__contains", f",{pk},") for pk in ids], connector=Q.OR)
    ).order_by("id")

    def of(rows: Any, request_id: int) -> list[Any]:
        return [row for row in rows if row.request_id == request_id]

    return {
        "generated_at": _when(timezone.now()),
        "cell": first.cell.name,
        "patient": {
            "last_name": first.patient_last_name,
            "first_name": first.patient_first_name,
            "birth_date": first.patient_birth_date.isoformat() if first.patient_birth_date else None,
            "sex": first.get_patient_sex_display() if first.patient_sex else None,
            "street": first.patient_street,
            "commune": first.patient_commune.name,
            "phone": first.patient_phone.as_national if first.patient_phone else None,
        },
        "requests": [
            {
                "reference": each.reference,
                "received_at": _when(each.received_at),
                "channel": each.get_channel_display(),
                "status": each.get_status_display(),
                "requester": str(each.requester_professional or each.requester_site or ""),
                "reason": each.reason,
                "kind_of_reason": each.get_reason_category_display(),
                "care_wanted": each.get_care_channel_display(),
                "urgency": each.get_urgency_display(),
                "medecin_traitant": each.mt_name,
                "anonymised_at": _when(each.anonymised_at),
                "timeline": [
                    {"at": _when(e.at), "what": e.get_kind_display(), "status": e.to_status, "text": e.text}
                    for e in of(events, each.pk)
                ],
                "callbacks": [
                    {"at": _when(c.at), "outcome": c.get_outcome_display(), "note": c.note}
                    for c in of(callbacks, each.pk)
                ],
                "questions_to_the_supervisor": [
                    {"asked_at": _when(q.asked_at), "question": q.question, "answer": q.answer}
                    for q in of(questions, each.pk)
                ],
                "qualifications": [{"at": _when(q.at), "answers": q.answers} for q in of(qualifications, each.pk)],
                "appointments": [
                    {
                        "at": _when(b.slot.starts_at),
                        "where": str(b.slot.site or b.slot.place or ""),
                        "with": str(b.slot.professional or ""),
                        "status": b.get_status_display(),
                    }
                    for b in of(bookings, each.pk)
                ],
                "messages": [
                    {
                        "at": _when(m.created_at),
                        "channel": m.get_channel_display(),
                        "to": m.to,
                        "text": m.body,
                        "status": m.get_status_display(),
                    }
                    for m in of(messages, each.pk)
                ],
            }
            for each in requests
        ],
        "accesses": [
            {"at": _when(a.at), "who": a.actor, "action": a.get_action_display(), "object": a.object_label}
            for a in accesses
        ],
    }
