from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from conftest import World
from referrals.models import Request
from referrals.states import Status
from tests.factories import MembershipFactory, ProfessionalFactory, ResourceFactory

from .factories import make_request

pytestmark = pytest.mark.django_db


def intake_body(**overrides: str) -> dict[str, str]:
    body = {
        "patient_last_name": "Lemoine",
        "patient_first_name": "Anaïs",
        "patient_birth_date": "1975-04-02",
        "patient_sex": "F",
        "patient_commune": "Argentan (61200) · 61006",
        "patient_street": "",
        "patient_phone": "06 12 34 56 78",
        "mt_situation": "no_mt",
        "mt_name": "",
        "reason": "Otalgie",
        "reason_category": "pain",
        "care_channel": "gp",
        "exam_type": "",
        "urgency": "48h",
        "elsewhere": "er",
        "submission_key": "k1",
    }
    body.update(overrides)
    return body


@pytest.fixture
def requester(world: World):
    pro = ProfessionalFactory(cell=world.cell, profession="pharmacist")
    return MembershipFactory(cell=world.cell, role=Role.REQUESTER, requester_type="pharmacist", professional=pro)


def test_the_queue_issues_a_constant_number_of_queries(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    client = world.client_for(world.colleague)
    url = reverse("referrals:queue", kwargs={"cell": world.cell.slug})
    make_request(world.cell)
    client.get(url)
    # A new patient in the list: this reading is logged, as the later one is (same cost on both sides).
    make_request(world.cell, last_name="Second", phone="+33612009999")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(25):
        request = make_request(world.cell, last_name=f"Patient{i}", phone=f"+336120000{i:02d}")
        if i % 3 == 0:
            from referrals import services

            services.request_take(request=request, user=world.colleague)
            services.callback_log(request=request, user=world.colleague, outcome="no_answer")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["requests"]) == 27
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_a_requester_sends_a_request_and_sees_only_their_own(world: World, requester) -> None:
    client = world.client_for(requester.user)
    response = client.post(reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body())
    request = Request.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/demandes/{request.pk}/")
    assert (request.requester_professional, request.submitted_by) == (requester.professional, requester.user)
    other = make_request(world.cell, requester_professional=ProfessionalFactory(cell=world.cell))
    mine = client.get(reverse("referrals:my_requests", kwargs={"cell": world.cell.slug}))
    assert list(mine.context["requests"]) == [request]
    assert (
        client.get(reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": other.pk})).status_code
        == 404
    )


def test_a_requester_does_not_see_the_cells_internal_notes(world: World, requester) -> None:
    request = make_request(world.cell, requester_professional=requester.professional)
    from referrals import services

    services.callback_log(request=request, user=world.colleague, outcome="no_answer", note="Messagerie pleine")
    page = world.client_for(requester.user).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk})
    )
    assert "Messagerie pleine" not in page.content.decode()
    assert page.context["callbacks"] == []


def test_where_the_patient_would_have_gone_is_asked_not_assumed(world: World, requester) -> None:
    """No default (it was the ER, inflating "ER visits avoided"): "— choose —" first, and an answer required."""
    client = world.client_for(requester.user)
    url = reverse("referrals:request_new", kwargs={"cell": world.cell.slug})
    form = client.get(url).context["form"]
    assert form["elsewhere"].value() in (None, "") and form.fields["elsewhere"].choices[0] == ("", "— choisir —")
    unanswered = client.post(url, intake_body(elsewhere=""))
    assert unanswered.status_code == 200 and list(unanswered.context["form"].errors) == ["elsewhere"]
    assert not Request.objects.exists()
    assert world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": make_request(world.cell).pk})
    ).context["close_form"]["reason"].value() in (None, "")


def test_the_same_form_posted_twice_creates_one_request(world: World, requester) -> None:
    client = world.client_for(requester.user)
    url = reverse("referrals:request_new", kwargs={"cell": world.cell.slug})
    client.post(url, intake_body(submission_key="double"))
    client.post(url, intake_body(submission_key="double"))
    assert Request.objects.count() == 1


def test_a_vital_emergency_says_call_the_15_and_stores_nothing(world: World, requester) -> None:
    client = world.client_for(requester.user)
    response = client.post(
        reverse("referrals:request_new", kwargs={"cell": world.cell.slug}), intake_body(vital_emergency="on")
    )
    assert response.status_code == 200
    assert "15" in response.context["form"].errors["vital_emergency"][0]
    assert not Request.objects.exists()


def test_bad_intake_keeps_what_was_typed(world: World, requester) -> None:
    client = world.client_for(requester.user)
    response = client.post(
        reverse("referrals:request_new", kwargs={"cell": world.cell.slug}),
        intake_body(patient_phone="", patient_birth_date="31/02/2020", care_channel="imaging"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "patient_birth_date" in errors
    assert 'value="Lemoine"' in response.content.decode()
    assert not Request.objects.exists()


def test_phone_intake_names_the_requester(world: World) -> None:
    pro = ProfessionalFactory(cell=world.cell, profession="gp")
    client = world.client_for(world.colleague)
    response = client.post(
        reverse("referrals:request_phone", kwargs={"cell": world.cell.slug}),
        intake_body(requester_professional=str(pro.pk)),
    )
    assert response.status_code == 302
    assert Request.objects.get().requester_professional == pro


def test_actions_from_the_request_page(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    client = world.client_for(world.colleague)

    def act(action: str, **data: str):
        return client.post(
            reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request.pk, "action": action}),
            {f"{action}-{name}": value for name, value in data.items()},
        )

    taken = client.post(
        reverse("referrals:request_action", kwargs={"cell": world.cell.slug, "pk": request.pk, "action": "take"}),
        HTTP_HX_REQUEST="true",
    )
    assert taken.status_code == 204 and taken["HX-Redirect"].endswith(f"/demandes/{request.pk}/")
    failed = act("callback", outcome="")
    assert failed.status_code == 422
    assert 'id="error-summary"' in failed.content.decode() and "Résultat" in failed.content.decode()
    assert act("callback", outcome="no_answer", note="Sonnerie").status_code == 302
    assert act("reorient", resource="").status_code == 422
    resource = ResourceFactory(cell=world.cell, name="Maison médicale de garde")
    no_reason = act("reorient", resource=str(resource.pk), note="Ce soir")  # no default reason: it counts
    assert no_reason.status_code == 422 and list(no_reason.context["reorient_form"].errors) == ["reason"]
    assert act("reorient", resource=str(resource.pk), reason="out_of_hours", note="Ce soir").status_code == 302
    request.refresh_from_db()
    assert (request.status, request.failed_callbacks) == (Status.REORIENTED, 1)
    closed_again = act("close", reason="resolved_otherwise")
    assert closed_again.status_code == 422
    assert "Réorientée" in closed_again.context["close_form"].non_field_errors()[0]
    request.refresh_from_db()
    assert request.status == Status.REORIENTED
    assert act("explode").status_code == 404


def test_the_request_page_shows_paris_time_across_the_clock_change(world: World) -> None:
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell, now=datetime(2026, 3, 28, 9, 0, tzinfo=UTC))  # 10:00 CET
    page = (
        world.client_for(world.colleague)
        .get(reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}))
        .content.decode()
    )
    assert "28/03/2026 10:00" in page
    assert "30/03/2026 11:00" in page  # 48 real hours later, in summer time


def test_a_long_queue_shows_the_most_pressing_and_says_how_many_more(world: World, monkeypatch) -> None:
    from desk.views.queue import QueueView

    monkeypatch.setattr(QueueView, "LIMIT", 3)
    ProfessionalFactory(cell=world.cell)
    start = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    for i, urgency in enumerate(["week", "24h", "48h", "week", "24h"]):
        make_request(
            world.cell,
            last_name=f"Ordre{i}",
            phone=f"+3361200011{i}",
            urgency=urgency,
            now=start + timedelta(minutes=10 * i),
        )
    response = world.client_for(world.colleague).get(reverse("referrals:queue", kwargs={"cell": world.cell.slug}))
    assert [r.patient_last_name for r in response.context["requests"]] == ["Ordre1", "Ordre4", "Ordre0"]
    assert response.context["total"] == 5
    assert "sur 5" in response.content.decode()


def test_the_cell_administrator_sets_how_requests_are_handled(world: World) -> None:
    from referrals import selectors as referral_selectors

    url = reverse("referrals:settings", kwargs={"cell": world.cell.slug})
    client = world.client_for(world.owner)
    body = {"max_failed_callbacks": "4", "hold_idle_minutes": "45", "warn_hours_before": "8"}
    assert client.post(url, body | {"max_failed_callbacks": "0"}).status_code == 200
    assert client.post(url, body | {"warn_hours_before": "30"}).status_code == 200  # a day or more: no warning left
    assert client.post(url, body).status_code == 302
    settings = referral_selectors.settings_for(world.cell)
    assert (settings.max_failed_callbacks, settings.hold_idle_minutes, settings.warn_hours_before) == (4, 45, 8)
    assert world.client_for(world.colleague).post(url, {"max_failed_callbacks": "9"}).status_code == 403


def test_phone_intake_adds_a_requester_missing_from_the_directory(world: World) -> None:
    from common.identifiers import luhn_key
    from directory.models import Professional

    rpps = "1998765432" + luhn_key("1998765432")
    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    body = intake_body(
        new_requester_last_name="Fabre",
        new_requester_first_name="Yann",
        new_requester_profession="nurse",
        new_requester_rpps=rpps,
        new_requester_phone="02 33 11 22 33",
    )
    response = client.post(url, body)
    assert response.status_code == 302
    nurse = Professional.objects.get(rpps=rpps)
    assert Request.objects.get().requester_professional == nurse


def test_a_bad_new_requester_saves_neither_the_requester_nor_the_request(world: World) -> None:
    from directory.models import Professional

    client = world.client_for(world.colleague)
    url = reverse("referrals:request_phone", kwargs={"cell": world.cell.slug})
    body = intake_body(
        new_requester_last_name="Fabre",
        new_requester_first_name="Yann",
        new_requester_profession="nurse",
        new_requester_rpps="123",
    )
    response = client.post(url, body)
    assert response.status_code == 200
    assert "new_requester_rpps" in response.context["form"].errors
    assert not Professional.objects.filter(last_name="Fabre").exists()
    assert not Request.objects.exists()


def test_a_late_finder_answer_never_undoes_a_newer_filter(world: World) -> None:
    """Each change of the finder's filters replaces the answer still on its way (htmx `hx-sync`): the page never
    swaps in an older answer, whose form would untick what was just ticked."""
    ProfessionalFactory(cell=world.cell)
    request = make_request(world.cell)
    page = world.client_for(world.colleague).get(
        reverse("referrals:request_detail", kwargs={"cell": world.cell.slug, "pk": request.pk}),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="slot-finder",
    )
    form = page.content.decode().split('class="finder-filters"')[1].split(">")[0]
    assert 'hx-sync="this:replace"' in form and 'hx-trigger="change, submit"' in form
