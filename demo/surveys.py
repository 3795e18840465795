"""Patients' answers to the one-minute survey in the demo, so that the dashboard shows the patients' satisfaction beside
the professionals': the most recent seen requests of the invented history are surveyed and most of them answered, with
invented comments. Made once per cell. The history's phone numbers are in a range kept for fiction, which no SMS
reaches: the surveys are written as if their SMS had gone (none is queued), then answered through the service."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from referrals.models import Request, RequestEvent
from referrals.states import Status
from surveys.models import Audience, Survey
from surveys.patient_sms import TOKEN_BYTES
from surveys.services import patient_send_time, survey_answer
from territory.models import Cell

# (mark, comment): invented answers, in the patients' words.
ANSWERS = (
    (5, "Rendez-vous trouvé dans la matinée, merci beaucoup."),
    (4, ""),
    (5, "Médecin très à l'écoute, et pas d'attente."),
    (3, "Un peu loin de chez moi, mais j'ai été soigné le jour même."),
    (4, "Très bien, l'appel de la cellule m'a rassurée."),
    (2, "Une heure d'attente au cabinet."),
)
SURVEYED = 8  # the last two are left unanswered, as some always are


def load_demo_patient_surveys(cell: Cell) -> int:
    """Survey the patients of the cell's most recent seen requests and answer most surveys; returns how many surveys
    were made (none when the cell already has patients' surveys)."""
    if Survey.objects.filter(cell=cell, audience=Audience.PATIENT).exists():
        return 0
    seen_at = RequestEvent.objects.filter(request=OuterRef("pk"), to_status=Status.SEEN).order_by("-at").values("at")
    recent = (
        Request.objects.filter(cell=cell, status=Status.SEEN, requester_answers=False, anonymised_at__isnull=True)
        .exclude(patient_phone="")
        .annotate(seen_at=Subquery(seen_at[:1]))
        .filter(seen_at__lte=timezone.now() - timedelta(days=1))  # their SMS gone, their answers in
        .select_related("cell")
        .order_by("-seen_at")[: SURVEYED * 3]
    )
    made = 0
    phones: set[str] = set()
    for request in recent:
        phone = request.patient_phone.as_e164
        if phone in phones:  # one survey a week per number, as in real life
            continue
        phones.add(phone)
        survey = Survey.objects.create(
            cell=cell,
            request=request,
            audience=Audience.PATIENT,
            address=phone,
            token=secrets.token_urlsafe(TOKEN_BYTES),
            sent_at=patient_send_time(request.seen_at),
        )
        if made < len(ANSWERS):
            mark, comment = ANSWERS[made]
            answered_at = survey.sent_at + timedelta(hours=2)
            survey_answer(token=survey.token, scores={"visit": mark}, comment=comment, now=answered_at)
        made += 1
        if made == SURVEYED:
            break
    return made
