"""The patient's one-minute survey: one SMS through the outbox a few hours after the request is seen (once per
request, the last session of a series), never to a declined number nor without a mobile, one SMS part whatever the
cell's name and the site's address, an answer page without login, and the patients' line in the results."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agenda import services as agenda
from agenda.models import Booking
from agenda.tests.factories import make_slot
from common.errors import DomainError
from common.periods import Period
from conftest import World
from notifications import services as notifications
from notifications.models import Message, MessageKind, MessageStatus, OptOut
from notifications.patient_text import to_gsm
from notifications.sms import GSM_BASIC, GSM_EXTENSION, segments
from referrals.models import Request
from referrals.states import Status
from referrals.tests.factories import make_request
from surveys import services
from surveys.models import Audience, Score, Survey, SurveyPolicy
from surveys.patient_sms import BARE, MAX_BASE_URL, NAMED, clean_name, survey_sms
from tests.factories import ProfessionalFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
PHONE = "+33612345678"
LONG_BASE = "https://aiguillage.cpts-du-tres-long-nom-de-territoire.example.fr"
# The French wording of the catalogue (/tmp/po/h4_survey.json), tested here before the lead merges it: the length
# rule must hold in the language patients read, which is longer than the English.
FRENCH = (
    "%(cell)s : comment s'est passé votre RDV ? Répondez en 1 min : %(url)s",
    "Comment s'est passé votre RDV ? Répondez en 1 min : %(url)s",
)
ENGLISH = (str(NAMED), str(BARE))


@pytest.fixture
def surveyed(world: World) -> World:
    SurveyPolicy.objects.filter(cell=world.cell).update(is_active=True, sampling_percent=100, patients_surveyed=True)
    ProfessionalFactory(cell=world.cell, email="officine@example.org")  # the requester
    return world


def book(world: World, request: Request, hours: int = 1) -> Booking:
    doctor = ProfessionalFactory(cell=world.cell, last_name="Morel", email="dr.morel@example.org")
    starts_at = timezone.now() + timedelta(hours=hours)
    slot = make_slot(world.cell, professional=doctor, starts_at=starts_at, care_channel=request.care_channel)
    return agenda.slot_book(slot=slot, request=request, user=world.colleague)


def seen(world: World, **patient: object) -> Request:
    request = make_request(world.cell, **patient)
    booking = book(world, request)
    agenda.booking_outcome(booking=booking, user=world.colleague, seen=True, now=timezone.now() + timedelta(hours=2))
    request.refresh_from_db()
    return request


def patient_sms() -> Message:
    return Message.objects.get(kind=MessageKind.PATIENT_SURVEY)


def answer_url(survey: Survey) -> str:
    return reverse("survey_answer", kwargs={"token": survey.token})


# Who gets it, and when


def test_a_seen_patient_gets_one_sms_a_few_hours_later_without_health_details(surveyed: World) -> None:
    request = seen(surveyed, last_name="Delaunay", reason="Entorse de la cheville")
    survey = Survey.objects.get(audience=Audience.PATIENT)
    assert (survey.request_id, survey.address) == (request.pk, PHONE)
    sms = patient_sms()
    assert (sms.channel, sms.to, sms.status, sms.request_id) == ("sms", PHONE, MessageStatus.QUEUED, request.pk)
    assert answer_url(survey) in sms.body
    for health_detail in ("Delaunay", "Rose", "Entorse", "cheville", "Morel"):
        assert health_detail not in sms.body
    seen_at = request.events.get(to_status=Status.SEEN).at
    assert sms.next_try_at == services.patient_send_time(seen_at) > seen_at
    # Its task waits until then: the worker does not send it at once.
    task = DBTaskResult.objects.get(args_kwargs__args=[sms.pk])
    assert task.run_after == sms.next_try_at


def test_the_survey_sms_leaves_only_once_due(surveyed: World) -> None:
    seen(surveyed)
    sms = patient_sms()
    assert sms.next_try_at is not None
    notifications.messages_send_queued(now=sms.next_try_at - timedelta(minutes=1))
    sms.refresh_from_db()
    assert sms.status == MessageStatus.QUEUED  # the other messages of the request went, not this one
    assert notifications.messages_send_queued(now=sms.next_try_at) == 1
    sms.refresh_from_db()
    assert sms.status == MessageStatus.SENT


@pytest.mark.parametrize(
    ("recorded", "leaves"),
    [
        (datetime(2026, 3, 10, 11, 0, tzinfo=PARIS), datetime(2026, 3, 10, 14, 0, tzinfo=PARIS)),
        (datetime(2026, 3, 10, 16, 59, tzinfo=PARIS), datetime(2026, 3, 10, 19, 59, tzinfo=PARIS)),
        (datetime(2026, 3, 10, 17, 0, tzinfo=PARIS), datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)),
        (datetime(2026, 3, 10, 23, 30, tzinfo=PARIS), datetime(2026, 3, 11, 10, 0, tzinfo=PARIS)),
        (datetime(2026, 3, 10, 2, 0, tzinfo=PARIS), datetime(2026, 3, 10, 10, 0, tzinfo=PARIS)),
        # The night the clocks go forward: still 10:00 the next morning, Paris time.
        (datetime(2026, 3, 28, 21, 0, tzinfo=PARIS), datetime(2026, 3, 29, 10, 0, tzinfo=PARIS)),
    ],
)
def test_the_sms_leaves_three_hours_later_in_the_day(recorded: datetime, leaves: datetime) -> None:
    assert services.patient_send_time(recorded) == leaves


def test_a_series_surveys_its_patient_once_after_the_last_session(surveyed: World) -> None:
    request = make_request(surveyed.cell, care_channel="physiotherapy")
    agenda.request_sessions_set(request=request, user=surveyed.colleague, sessions=2)
    request.refresh_from_db()
    first, second = book(surveyed, request, hours=20), book(surveyed, request, hours=70)
    later = timezone.now() + timedelta(days=4)
    agenda.booking_outcome(booking=first, user=surveyed.colleague, seen=True, now=later)
    assert not Survey.objects.filter(audience=Audience.PATIENT).exists()  # the care goes on
    agenda.booking_outcome(booking=second, user=surveyed.colleague, seen=True, now=later)
    assert Survey.objects.filter(audience=Audience.PATIENT).count() == 1
    assert Message.objects.filter(kind=MessageKind.PATIENT_SURVEY).count() == 1


def test_a_request_surveys_its_patient_once(surveyed: World) -> None:
    request = seen(surveyed)
    event = request.events.get(to_status=Status.SEEN)
    # The move told again (a retried receiver): the unique survey per request and audience holds, a week later too.
    assert services.patient_survey(request=request, at=event.at + timedelta(days=8)) is None
    assert Survey.objects.filter(audience=Audience.PATIENT).count() == 1
    assert Message.objects.filter(kind=MessageKind.PATIENT_SURVEY).count() == 1


def test_the_same_number_gets_one_survey_a_week(surveyed: World) -> None:
    seen(surveyed, last_name="Premier")
    seen(surveyed, last_name="Second")  # the same phone, the same week
    assert Survey.objects.filter(audience=Audience.PATIENT).count() == 1


def test_no_survey_to_an_opted_out_number(surveyed: World) -> None:
    OptOut.objects.create(cell=surveyed.cell, address=PHONE, at=timezone.now())
    seen(surveyed)
    assert not Survey.objects.filter(audience=Audience.PATIENT).exists()
    assert not Message.objects.filter(kind=MessageKind.PATIENT_SURVEY).exists()


def test_an_opt_out_after_queuing_holds_the_sms_back(surveyed: World) -> None:
    seen(surveyed)
    sms = patient_sms()
    # Recorded without the coordinator's service (which also marks what is queued): the outbox itself refuses.
    OptOut.objects.create(cell=surveyed.cell, address=PHONE, at=timezone.now())
    assert not notifications.message_send(message_pk=sms.pk, now=sms.next_try_at).sent
    sms.refresh_from_db()
    assert sms.status == MessageStatus.OPTED_OUT


def test_the_coordinators_opt_out_stops_a_queued_survey(surveyed: World) -> None:
    request = seen(surveyed)
    notifications.patient_opt_out(request=request, user=surveyed.colleague)
    assert patient_sms().status == MessageStatus.OPTED_OUT
    notifications.messages_send_queued(now=timezone.now() + timedelta(days=2))
    assert patient_sms().status == MessageStatus.OPTED_OUT


@pytest.mark.parametrize(
    "patient",
    [
        {"phone": "+33233000000"},  # a landline
        {"phone": "", "requester_answers": True},
        {"phone": PHONE, "requester_answers": True},
    ],
    ids=["landline", "no-phone", "requester-answers"],
)
def test_no_survey_without_a_mobile_or_when_the_requester_answers(surveyed: World, patient: dict) -> None:
    seen(surveyed, **patient)
    assert not Survey.objects.filter(audience=Audience.PATIENT).exists()
    assert not Message.objects.filter(kind=MessageKind.PATIENT_SURVEY).exists()
    assert Survey.objects.filter(audience=Audience.REQUESTER).exists()  # the professionals are still asked


def test_no_survey_for_an_anonymised_request(surveyed: World) -> None:
    request = make_request(surveyed.cell)
    Request.objects.filter(pk=request.pk).update(anonymised_at=timezone.now())
    request.refresh_from_db()
    assert services.patient_survey(request=request, at=timezone.now()) is None
    assert not Survey.objects.exists()


def test_the_cell_may_leave_patients_out(surveyed: World) -> None:
    SurveyPolicy.objects.filter(cell=surveyed.cell).update(patients_surveyed=False)
    seen(surveyed)
    assert not Survey.objects.filter(audience=Audience.PATIENT).exists()
    assert Survey.objects.filter(audience=Audience.REQUESTER).exists()


def test_a_reoriented_patient_is_not_surveyed(surveyed: World) -> None:
    from referrals import services as referrals
    from tests.factories import ResourceFactory

    request = make_request(surveyed.cell)
    referrals.request_reorient(request=request, user=surveyed.colleague, resource=ResourceFactory(cell=surveyed.cell))
    assert not Survey.objects.filter(audience=Audience.PATIENT).exists()


# The SMS's length


@given(
    cell_name=st.text(min_size=1, max_size=150),
    host=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.", min_size=1, max_size=MAX_BASE_URL - 9),
    token=st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=16, max_size=16
    ),
    wording=st.sampled_from([FRENCH, ENGLISH]),
)
@example(cell_name="É" * 150, host=LONG_BASE.removeprefix("https://"), token="A" * 16, wording=FRENCH)
@example(cell_name="CSNP de la Côte", host="a.fr", token="A" * 16, wording=FRENCH)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_sms_takes_one_part_with_its_link_whole(
    cell_name: str, host: str, token: str, wording: tuple[str, str]
) -> None:
    base = f"https://{host}"
    url = f"{base}/e/{token}/"
    assert len(base) <= MAX_BASE_URL
    sms = survey_sms(cell_name, url, named=wording[0], bare=wording[1])
    assert segments(sms.text) == 1
    assert all(char in GSM_BASIC or char in GSM_EXTENSION for char in sms.text)  # never UCS-2
    assert not any(unicodedata.category(char) == "Cc" for char in sms.text)  # no escape, no line break
    assert sms.text.endswith(url)  # the link whole, last
    name = clean_name(cell_name)
    if sms.with_name:
        assert sms.text.startswith(name)
    else:
        assert sms.text == to_gsm(wording[1] % {"url": url})  # omitted whole, always the same text
    assert survey_sms(cell_name, url, named=wording[0], bare=wording[1]) == sms  # deterministic


def test_a_short_name_is_kept_and_a_long_one_omitted() -> None:
    url = f"{LONG_BASE}/e/{'A' * 16}/"
    short = survey_sms("CSNP d'Argentan", url, named=FRENCH[0], bare=FRENCH[1])
    assert short.with_name and short.text.startswith("CSNP d'Argentan : comment")
    assert segments(short.text) == 1
    long = survey_sms("Cellule de coordination des soins non programmés " * 3, url, named=FRENCH[0], bare=FRENCH[1])
    assert not long.with_name and long.text.startswith("Comment s'est passé votre RDV ?")


def test_the_queued_sms_fits_one_part_with_a_long_address_and_name(surveyed: World) -> None:
    surveyed.cell.name = ("Cellule de soins non programmés de la CPTS du Très Long Nom de Territoire " * 3)[:150]
    surveyed.cell.save()
    with override_settings(AIGUILLAGE_BASE_URL=LONG_BASE + "/"):
        seen(surveyed)
    sms = patient_sms()
    survey = Survey.objects.get(audience=Audience.PATIENT)
    assert sms.body.endswith(f"{LONG_BASE}{answer_url(survey)}")
    assert segments(sms.body) == 1 and len(sms.body) <= 160
    assert len(survey.token) == 16
    # The requester's e-mail too, its subject cut to what the outbox keeps (PostgreSQL refuses more).
    invitation = Message.objects.get(kind=MessageKind.SURVEY, to="officine@example.org")
    assert len(invitation.subject) <= 200 and invitation.subject.endswith("…")


# The answer page


def test_the_patient_answers_once_without_logging_in(surveyed: World, client: Client) -> None:
    seen(surveyed, last_name="Delaunay", first_name="Rose")
    survey = Survey.objects.get(audience=Audience.PATIENT)
    url = answer_url(survey)
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and surveyed.cell.name in text
    assert 'name="visit"' in text and 'type="radio"' in text and 'name="no_more"' in text
    assert 'aria-describedby="id_visit_helptext"' in text  # the scale's meaning read with the question
    assert "Delaunay" not in text and "Rose" not in text and "Morel" not in text
    done = client.post(url, {"visit": "4", "comment": "Accueil rapide"})
    assert done.status_code == 200
    survey.refresh_from_db()
    assert survey.answered_at is not None and survey.comment == "Accueil rapide" and not survey.no_more
    assert list(survey.scores.values_list("question", "value")) == [("visit", 4)]
    again = client.post(url, {"visit": "1"})
    assert again.status_code == 409 and Score.objects.count() == 1


def test_a_missing_mark_is_said_and_the_form_kept(surveyed: World, client: Client) -> None:
    seen(surveyed)
    survey = Survey.objects.get(audience=Audience.PATIENT)
    page = client.post(answer_url(survey), {"comment": "Très bien reçu"})
    text = page.content.decode()
    assert page.status_code == 400
    assert str(services.SCORE_REQUIRED) in text and "Très bien reçu" in text
    survey.refresh_from_db()
    assert survey.answered_at is None and not Score.objects.exists()


def test_a_mark_out_of_range_is_refused(surveyed: World, client: Client) -> None:
    seen(surveyed)
    survey = Survey.objects.get(audience=Audience.PATIENT)
    assert client.post(answer_url(survey), {"visit": "9"}).status_code == 400
    with pytest.raises(DomainError) as refused:
        services.survey_answer(token=survey.token, scores={"visit": 0})
    assert refused.value.message == services.SCORE_REQUIRED
    assert not Score.objects.exists()


def test_the_page_closes_after_thirty_days(surveyed: World, client: Client) -> None:
    seen(surveyed)
    survey = Survey.objects.get(audience=Audience.PATIENT)
    Survey.objects.filter(pk=survey.pk).update(sent_at=timezone.now() - timedelta(days=31))
    page = client.get(answer_url(survey))
    assert page.status_code == 200 and str(services.EXPIRED) in page.content.decode()
    assert 'name="visit"' not in page.content.decode()
    assert client.post(answer_url(survey), {"visit": "5"}).status_code == 409
    assert not Score.objects.exists()


def test_the_patient_may_ask_not_to_be_asked_again(surveyed: World, client: Client) -> None:
    seen(surveyed, last_name="Premier")
    survey = Survey.objects.get(audience=Audience.PATIENT)
    page = client.post(answer_url(survey), {"no_more": "on"})  # without a mark: a refusal, not an answer
    assert page.status_code == 200
    survey.refresh_from_db()
    assert survey.no_more and survey.answered_at is None and not Score.objects.exists()
    # Weeks later, another seen request for the same number: no survey, but their appointment SMS still go.
    Survey.objects.filter(pk=survey.pk).update(sent_at=timezone.now() - timedelta(days=30))
    second = seen(surveyed, last_name="Second")
    assert not Survey.objects.filter(audience=Audience.PATIENT, request=second).exists()
    assert Message.objects.filter(request=second, kind=MessageKind.PATIENT_BOOKED).exists()
    assert not OptOut.objects.exists()


def test_the_requesters_form_has_no_refusal_box(surveyed: World, client: Client) -> None:
    seen(surveyed)
    survey = Survey.objects.get(audience=Audience.REQUESTER)
    assert 'name="no_more"' not in client.get(answer_url(survey)).content.decode()
    answered = services.survey_answer(
        token=survey.token, scores={"speed": 4, "fit": 4, "contact": 4, "again": 4}, no_more=True
    )
    assert not answered.no_more


# The results


def test_the_results_show_the_patients_marks_counts_and_comments(surveyed: World) -> None:
    for name, phone in (("Un", "+33611000001"), ("Deux", "+33611000002"), ("Trois", "+33611000003")):
        seen(surveyed, last_name=name, phone=phone)
    one, two, _three = Survey.objects.filter(audience=Audience.PATIENT).order_by("pk")
    services.survey_answer(token=one.token, scores={"visit": 5}, comment="Merci pour la rapidité")
    services.survey_answer(token=two.token, scores={"visit": 2})
    today = timezone.localdate()
    results = services.results(surveyed.cell, Period(today - timedelta(days=1), today + timedelta(days=1)))
    assert (results.sent["patient"], results.answered["patient"]) == (3, 2)
    visit = next(q for q in results.questions if q.audience == "patient")
    assert (visit.question, visit.answers, visit.average) == ("visit", 2, 3.5)
    assert ("patient", "Merci pour la rapidité") in results.comments


def test_the_cell_administrator_turns_patients_surveys_off(surveyed: World) -> None:
    url = reverse("surveys:policy", kwargs={"cell": surveyed.cell.slug})
    client = surveyed.client_for(surveyed.owner)
    assert 'name="patients_surveyed"' in client.get(url).content.decode()
    saved = client.post(url, {"is_active": "on", "sampling_percent": "40"})  # the box left unticked
    assert saved.status_code in (200, 302)
    policy = SurveyPolicy.objects.get(cell=surveyed.cell)
    assert (policy.is_active, policy.sampling_percent, policy.patients_surveyed) == (True, 40, False)
