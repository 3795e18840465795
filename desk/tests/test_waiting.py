"""Issue 23, 1b: a person working for several cells has one login, a cell switcher in the header, and lands on what
waits for them in each cell ("Ce qui vous attend"): counts by their roles there, each linking to the filtered page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, PscAccessRequest, Role, User
from accounts.policies import ACTING_ROLE_KEY
from alerts.models import Alert, AlertStatus, Cascade, CascadeStatus
from conftest import ARGENTAN, World
from desk.waiting import waiting_for
from directory.models import Professional
from notifications.models import Message, MessageChannel, MessageKind, MessageStatus
from referrals import selectors
from referrals import services as referrals
from referrals.models import Request
from referrals.tests.factories import make_request
from territory.models import Cell
from tests.factories import CellFactory, MembershipFactory, ProfessionalFactory, TerritoryFactory, UserFactory

pytestmark = pytest.mark.django_db

WAITING = reverse("accounts:waiting")


@pytest.fixture
def regional(populated: World) -> User:
    """A coordinator of the regional platform: coordinator of both cells of the world."""
    user: User = UserFactory(username="regine")
    MembershipFactory(user=user, cell=populated.cell, role=Role.COORDINATOR)
    MembershipFactory(user=user, cell=populated.other_cell, role=Role.COORDINATOR)
    return user


def _cell(name: str) -> Cell:
    cell: Cell = CellFactory(name=name)
    TerritoryFactory(cell=cell, communes=[ARGENTAN])
    ProfessionalFactory(cell=cell)
    return cell


def _by_slug(page: Any) -> dict[str, Any]:
    return {each.cell.slug: each for each in page.context["cells"]}


def _switcher(html: str) -> str:
    found = re.search(r'<nav class="cell-switcher".*?</nav>', html, re.S)
    return found.group(0) if found else ""


# Landing


def test_a_person_of_one_cell_still_lands_on_their_cells_home(populated: World) -> None:
    landing = populated.client_for(populated.colleague).get("/")
    assert landing.status_code == 302 and landing["Location"] == f"/c/{populated.cell.slug}/"


def test_a_person_of_several_cells_lands_on_what_waits_for_them(populated: World, regional: User) -> None:
    landing = populated.client_for(regional).get("/")
    assert landing.status_code == 302 and landing["Location"] == WAITING


def test_the_combined_view_asks_to_log_in(client: Any) -> None:
    response = client.get(WAITING)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


# The switcher


def test_the_switcher_is_not_shown_to_a_person_of_one_cell(populated: World) -> None:
    page = populated.client_for(populated.colleague).get(reverse("referrals:queue", kwargs={"cell": "test-orne"}))
    html = page.content.decode()
    assert page.status_code == 200 and _switcher(html) == ""
    assert 'class="cell-name"' in html  # the cell is still named


def test_the_switcher_lists_only_the_cells_of_active_memberships(populated: World, regional: User) -> None:
    third = _cell("CSNP Ancienne")
    MembershipFactory(user=regional, cell=third, role=Role.COORDINATOR, is_active=False)
    _cell("CSNP Inconnue")  # no membership at all
    page = populated.client_for(regional).get(reverse("accounts:cell_home", kwargs={"cell": populated.cell.slug}))
    switcher = _switcher(page.content.decode())
    assert re.findall(r'data-cell="([^"]+)"', switcher) == [populated.cell.slug, populated.other_cell.slug]
    assert "Ancienne" not in switcher and "Inconnue" not in switcher
    assert re.search(r'data-cell="test-orne" aria-current="true"', switcher)  # the current cell, marked
    assert f'href="{WAITING}"' in switcher


def test_a_deactivated_membership_takes_the_switcher_away(populated: World, regional: User) -> None:
    Membership.objects.filter(user=regional, cell=populated.other_cell).update(is_active=False)
    page = populated.client_for(regional).get(reverse("accounts:cell_home", kwargs={"cell": populated.cell.slug}))
    assert _switcher(page.content.decode()) == ""


def test_the_switcher_leads_to_the_same_page_in_the_other_cell_when_the_role_there_opens_it(
    populated: World, regional: User
) -> None:
    admin_elsewhere = _cell("CSNP Administrée")
    MembershipFactory(user=regional, cell=admin_elsewhere, role=Role.CELL_ADMIN)
    page = populated.client_for(regional).get(reverse("referrals:queue", kwargs={"cell": populated.cell.slug}))
    links = dict(re.findall(r'href="([^"]+)" data-cell="([^"]+)"', _switcher(page.content.decode())))
    by_cell = {cell: url for url, cell in links.items()}
    assert by_cell[populated.other_cell.slug] == reverse("referrals:queue", kwargs={"cell": populated.other_cell.slug})
    # A cell administrator does not see the queue: their cell's home instead of a 403.
    assert by_cell[admin_elsewhere.slug] == reverse("accounts:cell_home", kwargs={"cell": admin_elsewhere.slug})


def test_a_page_naming_an_object_switches_to_the_other_cells_home(populated: World, regional: User) -> None:
    request = make_request(populated.cell)
    page = populated.client_for(regional).get(
        reverse("referrals:request_detail", kwargs={"cell": populated.cell.slug, "pk": request.pk})
    )
    links = re.findall(r'href="([^"]+)" data-cell="test-vignoble"', _switcher(page.content.decode()))
    assert links == [reverse("accounts:cell_home", kwargs={"cell": populated.other_cell.slug})]


def test_switching_cell_keeps_the_role_chosen_in_each_cell(populated: World, regional: User) -> None:
    MembershipFactory(user=regional, cell=populated.cell, role=Role.CELL_ADMIN)
    client = populated.client_for(regional)
    chosen = client.post(reverse("accounts:acting_role", kwargs={"cell": populated.cell.slug}), {"role": "cell_admin"})
    assert chosen.status_code == 302
    assert client.get(reverse("accounts:cell_home", kwargs={"cell": populated.other_cell.slug})).status_code == 200
    back = client.get(reverse("accounts:cell_home", kwargs={"cell": populated.cell.slug}))
    assert back.context["acting_membership"].role == Role.CELL_ADMIN
    assert client.session[ACTING_ROLE_KEY] == {populated.cell.slug: Role.CELL_ADMIN}


# The counts


def test_a_coordinator_sees_the_queue_of_each_cell_counted(populated: World, regional: User) -> None:
    now = timezone.now()
    before = {each.cell.slug: each.queue for each in waiting_for(regional, now)}  # the world's own requests
    make_request(populated.cell)  # received, not called back
    make_request(populated.cell, now=now - timedelta(hours=45))  # deadline in 3 hours
    make_request(populated.cell, now=now - timedelta(hours=50))  # deadline passed
    held = make_request(populated.cell)
    referrals.request_take(request=held, user=regional)
    make_request(populated.other_cell)
    page = populated.client_for(regional).get(WAITING)
    cells = _by_slug(page)
    figures = ("in_queue", "received", "in_progress", "near", "overdue", "mine")
    added = {
        name: getattr(cells[populated.cell.slug].queue, name) - getattr(before["test-orne"], name) for name in figures
    }
    assert added == {"in_queue": 4, "received": 3, "in_progress": 1, "near": 1, "overdue": 1, "mine": 1}
    assert cells[populated.other_cell.slug].queue.in_queue == before["test-vignoble"].in_queue + 1
    assert cells[populated.cell.slug].questions is None  # not a supervisor
    assert cells[populated.cell.slug].access_requests is None  # not the cell's administrator
    html = page.content.decode()
    queue = reverse("referrals:queue", kwargs={"cell": populated.cell.slug})
    assert f'href="{queue}?status=received"' in html and f'href="{queue}?mine=1"' in html
    assert "Delaunay" not in html  # counts only: no patient named


def test_a_supervisor_sees_the_questions_waiting_and_a_coordinator_does_not(populated: World) -> None:
    doctor = UserFactory(username="dr-sup")
    MembershipFactory(user=doctor, cell=populated.cell, role=Role.SUPERVISOR)
    MembershipFactory(user=doctor, cell=populated.other_cell, role=Role.COORDINATOR)
    before = {each.cell.slug: each for each in waiting_for(doctor, timezone.now())}
    asked = make_request(populated.cell)
    referrals.question_ask(request=asked, user=populated.colleague, question="Antibiotique ?")
    elsewhere = make_request(populated.other_cell)
    other_coordinator = MembershipFactory(cell=populated.other_cell, role=Role.COORDINATOR).user
    referrals.question_ask(request=elsewhere, user=other_coordinator, question="Radio ?")
    cells = _by_slug(populated.client_for(doctor).get(WAITING))
    here, there = before[populated.cell.slug], before[populated.other_cell.slug]
    assert cells[populated.cell.slug].questions == (here.questions or 0) + 1
    assert cells[populated.cell.slug].questions == selectors.questions_pending(populated.cell.pk).count()
    assert cells[populated.cell.slug].queue.waiting_supervisor == here.queue.waiting_supervisor + 1
    assert cells[populated.other_cell.slug].questions is None
    # The coordinator sees it in the queue.
    assert cells[populated.other_cell.slug].queue.waiting_supervisor == there.queue.waiting_supervisor + 1


def test_a_cell_administrator_sees_access_requests_and_no_patient_work(populated: World, regional: User) -> None:
    admin_cell = _cell("CSNP Administrée")
    MembershipFactory(user=regional, cell=admin_cell, role=Role.CELL_ADMIN)
    make_request(admin_cell)
    PscAccessRequest.objects.create(rpps="81000000001", given_name="Inès", family_name="Auger", cell=admin_cell)
    PscAccessRequest.objects.create(rpps="81000000002", given_name="Paul", family_name="Biet", cell=populated.cell)
    page = populated.client_for(regional).get(WAITING)
    administered = _by_slug(page)[admin_cell.slug]
    assert administered.access_requests == 1
    assert administered.queue is None and administered.messages_failed is None and administered.questions is None
    assert _by_slug(page)[populated.cell.slug].access_requests is None  # coordinator there
    psc = reverse("accounts:psc_request_list", kwargs={"cell": admin_cell.slug})
    assert f'href="{psc}?status=pending"' in page.content.decode()


def test_failed_messages_of_the_week_are_counted_for_the_staff(populated: World, regional: User) -> None:
    now = timezone.now()
    for n, (cell, status, age) in enumerate(
        [
            (populated.cell, MessageStatus.FAILED, timedelta(hours=2)),
            (populated.cell, MessageStatus.FAILED, timedelta(days=9)),  # too old
            (populated.cell, MessageStatus.SENT, timedelta(hours=1)),
            (populated.other_cell, MessageStatus.FAILED, timedelta(hours=1)),
        ]
    ):
        Message.objects.create(
            cell=cell,
            kind=MessageKind.choices[0][0],
            channel=MessageChannel.choices[0][0],
            to="+33600000000",
            subject="s",
            body="b",
            key=f"test-{n}",
            status=status,
            created_at=now - age,
        )
    cells = _by_slug(populated.client_for(regional).get(WAITING))
    assert cells[populated.cell.slug].messages_failed == 1
    assert cells[populated.other_cell.slug].messages_failed == 1


def test_alerts_are_counted_for_the_effector_they_wait_for_and_for_the_cells_staff(
    populated: World, regional: User
) -> None:
    now = timezone.now()
    professional: Professional = ProfessionalFactory(cell=populated.cell)
    someone_else: Professional = ProfessionalFactory(cell=populated.cell)
    MembershipFactory(user=regional, cell=populated.cell, role=Role.EFFECTOR, professional=professional)
    request = make_request(populated.cell)

    def cascade(status: str, req: Request) -> Cascade:
        return Cascade.objects.create(
            cell=populated.cell, request=req, started_by=populated.colleague, started_at=now, step=1,
            step_ends_at=now + timedelta(minutes=30), status=status,
        )  # fmt: skip

    running = cascade(CascadeStatus.RUNNING, request)
    Alert.objects.create(cascade=running, professional=professional, step=1, token="t1", sent_at=now)
    Alert.objects.create(cascade=running, professional=someone_else, step=1, token="t2", sent_at=now)
    cascade(CascadeStatus.EXHAUSTED, make_request(populated.cell))
    answered = cascade(CascadeStatus.EXHAUSTED, request)  # an earlier cascade: the running one followed it
    Alert.objects.create(
        cascade=answered, professional=professional, step=1, token="t3", sent_at=now, status=AlertStatus.DECLINED
    )
    cells = _by_slug(populated.client_for(regional).get(WAITING))
    assert cells[populated.cell.slug].alerts_to_answer == 1
    assert cells[populated.cell.slug].alerts_unanswered == 1
    assert cells[populated.other_cell.slug].alerts_to_answer is None  # no effector role there
    # The figure links to the cell's home, where the person, acting as coordinator there, finds the alert to answer.
    home = populated.client_for(regional).get(reverse("accounts:cell_home", kwargs={"cell": populated.cell.slug}))
    page = home.content.decode()
    assert reverse("alert_answer", kwargs={"token": "t1"}) in page
    assert reverse("alert_answer", kwargs={"token": "t2"}) not in page  # another effector's


def test_a_requester_is_told_nothing_waits_for_them(populated: World, regional: User) -> None:
    third = _cell("CSNP Adresseur")
    MembershipFactory(
        user=regional, cell=third, role=Role.REQUESTER, requester_type="gp", professional=third.professionals.first()
    )
    page = populated.client_for(regional).get(WAITING)
    requester = _by_slug(page)[third.slug]
    assert requester.queue is None and requester.urgent == 0
    row = page.content.decode().split(f'<tr data-cell="{third.slug}"', 1)[1].split("</tr>")[0]
    assert 'class="nothing-waits"' in row and "<a href" in row  # the cell's home, no figure
    assert "waiting-figure" not in row


# Isolation


def test_a_cell_without_an_active_membership_never_appears(populated: World, regional: User) -> None:
    former = _cell("CSNP Ancienne")
    MembershipFactory(user=regional, cell=former, role=Role.COORDINATOR, is_active=False)
    make_request(former)
    page = populated.client_for(regional).get(WAITING)
    assert set(_by_slug(page)) == {populated.cell.slug, populated.other_cell.slug}
    assert "Ancienne" not in page.content.decode()


def test_a_deactivated_membership_disappears_from_the_combined_view(populated: World, regional: User) -> None:
    client = populated.client_for(regional)
    assert populated.other_cell.slug in _by_slug(client.get(WAITING))
    Membership.objects.filter(user=regional, cell=populated.other_cell).update(is_active=False)
    page = client.get(WAITING)
    assert set(_by_slug(page)) == {populated.cell.slug}
    assert populated.other_cell.name not in page.content.decode()


def test_an_outsider_sees_only_their_own_cell(populated: World) -> None:
    make_request(populated.cell)
    cells = waiting_for(populated.outsider, timezone.now())
    assert [each.cell for each in cells] == [populated.other_cell]
    assert cells[0].queue is None  # a cell administrator


# Queries, refresh


@pytest.mark.parametrize("count", [1, 5])
def test_the_queries_do_not_grow_with_the_number_of_cells(
    populated: World, count: int, django_assert_max_num_queries: Any
) -> None:
    user = UserFactory(username="plateforme")
    for n in range(count):
        cell = _cell(f"CSNP Régionale {n}")
        MembershipFactory(user=user, cell=cell, role=Role.SUPERVISOR)
        MembershipFactory(user=user, cell=cell, role=Role.CELL_ADMIN)
        professional = ProfessionalFactory(cell=cell)
        MembershipFactory(user=user, cell=cell, role=Role.EFFECTOR, professional=professional)
        make_request(cell)
    client = populated.client_for(user)
    # The session, the user, the second factor…; the person's rows (the page's, the header's); six kinds of counts:
    # 11 for one cell as for five.
    with django_assert_max_num_queries(11):
        page = client.get(WAITING)
    assert page.status_code == 200 and len(page.context["cells"]) == count
    assert all(each.queue.in_queue == 1 for each in page.context["cells"])


def test_the_figures_refresh_themselves_without_the_page(populated: World, regional: User) -> None:
    client = populated.client_for(regional)
    page = client.get(WAITING).content.decode()
    assert 'hx-trigger="every 60s"' in page and '"X-Aiguillage-Refresh": "1"' in page
    part = client.get(WAITING, HTTP_HX_REQUEST="true", HTTP_X_AIGUILLAGE_REFRESH="1").content.decode()
    assert part.lstrip().startswith('<div id="waiting-cells"') and "<header" not in part


def test_an_alert_round_that_found_nobody_counts_even_after_an_earlier_accepted_one(
    populated: World, regional: User
) -> None:
    """Someone accepted a first round, the appointment was cancelled since, a second round found nobody: it waits."""
    now = timezone.now()
    request = make_request(populated.cell)

    def cascade(status: str, started: timedelta) -> Cascade:
        return Cascade.objects.create(
            cell=populated.cell, request=request, started_by=populated.colleague, started_at=now - started, step=1,
            step_ends_at=now, status=status,
        )  # fmt: skip

    cascade(CascadeStatus.ACCEPTED, timedelta(hours=5))
    cascade(CascadeStatus.EXHAUSTED, timedelta(hours=1))
    assert _by_slug(populated.client_for(regional).get(WAITING))[populated.cell.slug].alerts_unanswered == 1
    cascade(CascadeStatus.RUNNING, timedelta(minutes=5))  # a third round under way: nothing to do yet
    assert _by_slug(populated.client_for(regional).get(WAITING))[populated.cell.slug].alerts_unanswered == 0


def test_each_figure_opens_a_list_of_as_many_rows_in_that_cell(populated: World, regional: User) -> None:
    """Past their deadline, deadline near, alerts nobody accepted, messages not sent this week: the link of each
    figure opens the queue or the outbox filtered to what it counts, not the whole list."""
    now = timezone.now()
    make_request(populated.cell, now=now - timedelta(hours=45))  # deadline in 3 hours
    make_request(populated.cell, now=now - timedelta(hours=50))  # deadline passed
    make_request(populated.cell, now=now - timedelta(hours=60))  # deadline passed
    nobody = make_request(populated.cell)
    Cascade.objects.create(
        cell=populated.cell, request=nobody, started_by=populated.colleague, started_at=now, step=3,
        step_ends_at=now, status=CascadeStatus.EXHAUSTED,
    )  # fmt: skip
    for n, age in enumerate((timedelta(hours=2), timedelta(days=9))):
        Message.objects.create(
            cell=populated.cell, kind=MessageKind.choices[0][0], channel=MessageChannel.choices[0][0],
            to="+33600000000", subject="s", body="b", key=f"failed-{n}", status=MessageStatus.FAILED,
            created_at=now - age,
        )  # fmt: skip
    client = populated.client_for(regional)
    page = client.get(WAITING)
    row = next(figures for each, figures in page.context["rows"] if each.cell == populated.cell)
    by_kind = {figure.column.key: figure for figure in row if figure}
    for kind in ("queue.overdue", "queue.near", "alerts_unanswered", "messages_failed"):
        figure = by_kind[kind]
        assert figure.count >= 1, kind
        opened = client.get(figure.url)
        assert opened.status_code == 200
        shown = opened.context["total"] if "total" in opened.context else opened.context["paginator"].count
        assert shown == figure.count, (kind, figure.url)
    unanswered = client.get(by_kind["alerts_unanswered"].url)
    assert [request.pk for request in unanswered.context["requests"]] == [nobody.pk]
    html = unanswered.content.decode()
    # The filter stays while the others change (the form sends it again), and says how to leave it.
    assert '<input type="hidden" name="alertes" value="sans-preneur">' in html
    assert "Seulement les demandes dont la dernière alerte n’a trouvé personne." in html
