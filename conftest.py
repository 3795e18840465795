"""Fixtures for every test: two cells with an owner, a colleague and an outsider (healthchecks' alice/bob/charlie)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, cast

import pytest
from django.core.management.commands import flush
from django.test import Client
from django.utils import timezone

from accounts.models import PscAccessRequest, Role, User
from agenda.calendar import feed_renew
from agenda.models import Slot
from agenda.services import StopData, plan_save, slot_book, spot_save, tour_save
from agenda.tests.factories import make_slot
from alerts.models import Alert, Cascade, Step
from audit.guard import emptying_allowed
from directory.models import AnnuaireImport, ImportIssue, ImportStatus, Professional, Site
from indicators.models import ReportJob, ReportKind, ReportStatus
from notifications.models import Message
from referrals import services
from referrals.models import Partner, ProtocolQuestion, ProtocolRule, Tag
from referrals.tests.factories import make_request
from surveys.models import Invitation, Questionnaire, QuestionnaireQuestion, Survey, SurveyPolicy
from territory.models import Cell, Commune, Territory
from tests.factories import (
    CellFactory,
    MembershipFactory,
    ProfessionalFactory,
    ResourceFactory,
    SiteFactory,
    TerritoryFactory,
    UserFactory,
    next_rpps,
)
from tests.fake_ban import ban_on, fake_ban  # noqa: F401 - the fixtures, for every test module

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would refuse the ORM there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# What gives a test a database: a test with none of these gives the same answer on SQLite and PostgreSQL.
DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback", "live_server"}
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `no_database` the tests that touch no database (pytest-django would refuse them one): `make test` runs
    them in the SQLite pass only (`-m "not no_database"` in the PostgreSQL pass), not twice for the same answer."""
    for item in items:
        if item.get_closest_marker("django_db") is None and not DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        ):
            item.add_marker(pytest.mark.no_database)


@pytest.fixture(autouse=True)
def _language_back_to_french() -> Iterator[None]:
    """A test that asked for a page in English (Accept-Language) leaves Django's thread on English: the next test
    would read English where it expects French, depending on the order the tests run in."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def _flush_empties_the_access_log() -> Iterator[None]:
    """Django's clean-up after a transactional test empties every table (flush); on SQLite the access log's triggers
    would refuse it. Only that clean-up is let through: every test still meets the triggers."""
    original = flush.Command.handle

    def handle(self: flush.Command, *args: Any, **options: Any) -> Any:
        with emptying_allowed():
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True, scope="session")
def _flush_keeps_the_communes() -> Iterator[None]:
    """The 34,969 communes are reference data loaded by a migration, which no test changes for good: the clean-up
    after a transactional test (flush) leaves their table as it is, instead of emptying it for the next test to load
    it again (1.6 s on PostgreSQL, for each browser and concurrency test). Every other table is emptied as before."""
    original = flush.sql_flush

    def sql_flush(style: Any, connection: Any, reset_sequences: bool = True, allow_cascade: bool = False) -> list[str]:
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        kept = [table for table in tables if table != Commune._meta.db_table]
        return connection.ops.sql_flush(style, kept, reset_sequences=reset_sequences, allow_cascade=allow_cascade)

    flush.sql_flush = sql_flush
    yield
    flush.sql_flush = original


@pytest.fixture(autouse=True, scope="session")
def _annuaire_uploads_in_a_temporary_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Extracts uploaded by the tests (the URL walks post one to every cell) land in pytest's temporary directory,
    not in var/."""
    from django.conf import settings

    original = settings.AIGUILLAGE_ANNUAIRE_DIR
    settings.AIGUILLAGE_ANNUAIRE_DIR = tmp_path_factory.mktemp("annuaire")
    yield
    settings.AIGUILLAGE_ANNUAIRE_DIR = original


ARGENTAN, GACE, L_AIGLE = "61006", "61181", "61214"
CLISSON, VALLET = "44043", "44212"


@dataclass
class World:
    cell: Cell
    territory: Territory
    other_cell: Cell
    other_territory: Territory
    owner: User  # cell administrator of `cell`
    colleague: User  # coordinator of `cell`
    outsider: User  # cell administrator of `other_cell`
    extra_members: list[User] = field(default_factory=list)  # the other roles of `cell`, in `populated`

    def client_for(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client


@pytest.fixture
def world(db: None) -> World:
    cell = CellFactory(name="CSNP Test Orne", slug="test-orne")
    territory = TerritoryFactory(cell=cell, name="CPTS Test Orne", communes=[ARGENTAN, GACE, L_AIGLE])
    other = CellFactory(name="CSNP Test Vignoble", slug="test-vignoble")
    other_territory = TerritoryFactory(cell=other, name="CPTS Test Vignoble", communes=[CLISSON, VALLET])
    owner = MembershipFactory(user=UserFactory(username="alice"), cell=cell, role=Role.CELL_ADMIN).user
    colleague = MembershipFactory(user=UserFactory(username="bob"), cell=cell, role=Role.COORDINATOR).user
    outsider = MembershipFactory(user=UserFactory(username="charlie"), cell=other, role=Role.CELL_ADMIN).user
    for each in (cell, other):  # the surveys' random sample would make message counts depend on the request's id
        SurveyPolicy.objects.create(cell=cast(Cell, each), is_active=False)
    return World(cell, territory, other, other_territory, owner, colleague, outsider)


@pytest.fixture
def populated(world: World) -> World:
    """One of each directory object in each cell, with recognisable names."""
    for cell, tag in ((world.cell, "Orne"), (world.other_cell, "Vignoble")):
        site = SiteFactory(cell=cell, name=f"Maison de santé {tag}")
        pro = ProfessionalFactory(cell=cell, last_name=f"Docteur{tag}")
        pro.sites.add(site)
        ResourceFactory(cell=cell, name=f"Pharmacie de garde {tag}")
        spot_site = SiteFactory(cell=cell, name=f"Point de télémédecine {tag}", kind="telemedicine_spot")
        SiteFactory(cell=cell, name=f"Point sans plan {tag}", kind="telemedicine_spot")  # for a spot to be opened
        nurse = ProfessionalFactory(cell=cell, last_name=f"Infirmier{tag}", profession="nurse")
        spot_save(
            cell=cell,
            site=spot_site,
            nurses=[nurse],
            weekdays=[4],
            start_time=time(14, 0),
            end_time=time(15, 0),
            first_day=timezone.localdate(),
            last_day=timezone.localdate() + timedelta(days=30),
        )
        tour_save(
            cell=cell,
            name=f"Médicobus {tag}",
            doctor=pro,
            first_day=timezone.localdate(),
            last_day=timezone.localdate() + timedelta(days=30),
            stops=[StopData(3, site.commune, "Place de la mairie", time(9, 0), time(10, 0))],
        )
        Tag.objects.create(cell=cell, name=f"Médical {tag}", key=f"médical {tag.lower()}")
        ReportJob.objects.create(
            cell=cell,
            kind=ReportKind.MONTHLY_PDF,
            first=date(2026, 11, 1),
            last=date(2026, 11, 30),
            asked_at=timezone.now(),
            status=ReportStatus.READY,
            content=b"%PDF-1.7",
            size=8,
        )
        request = make_request(cell, last_name=f"Patient{tag}", requester_professional=pro)
        Message.objects.create(
            cell=cell,
            request=request,
            kind="request_received",
            channel="email",
            to=f"docteur.{tag.lower()}@example.org",
            subject=f"Demande {request.reference}",
            body=f"Message pour Docteur{tag}",
            key=f"test:{request.pk}",
            created_at=timezone.now(),
        )
        booked = make_request(cell, last_name=f"Oriente{tag}", phone="+33699000001", requester_professional=pro)
        past_slot = make_slot(cell, starts_at=timezone.now() + timedelta(minutes=1), professional=pro)
        make_slot(cell, starts_at=timezone.now() + timedelta(hours=6))  # free, for the booking walk
        feed_renew(professional=pro)
        plan_save(
            cell=cell,
            professional=pro,
            site=site,
            weekdays=[2],
            start_time=time(9, 0),
            end_time=time(10, 0),
            minutes=20,
            first_day=timezone.localdate(),
            last_day=timezone.localdate() + timedelta(days=30),
            care_channel="gp",
            modality="in_person",
        )
        coordinator_of_cell = world.colleague if cell == world.cell else world.outsider
        slot_book(slot=past_slot, request=booked, user=coordinator_of_cell)
        Slot.objects.filter(pk=past_slot.pk).update(
            starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() - timedelta(minutes=40)
        )
        make_request(cell, last_name=f"Patient{tag}", requester_professional=pro)  # flagged as a duplicate
        question = ProtocolQuestion.objects.create(cell=cell, order=1, text="Peut se déplacer ?", kind="yes_no")
        ProtocolRule.objects.create(question=question, answer="no", modality="home_visit")
        Partner.objects.create(
            cell=cell, name=f"Mairie {tag}", kind="town_hall", commune=Site.objects.get(pk=site.pk).commune
        )
        coordinator = world.colleague if cell == world.cell else world.outsider
        services.question_ask(request=request, user=coordinator, question="Orientation en présentiel possible ?")
        alerted = make_request(cell, last_name=f"Alerte{tag}", requester_professional=pro)
        cascade = Cascade.objects.create(
            cell=cell,
            request=alerted,
            started_by=coordinator,
            started_at=timezone.now(),
            step=Step.NEARBY,
            step_ends_at=timezone.now() + timedelta(minutes=30),
        )
        questionnaire = Questionnaire.objects.create(cell=cell, title=f"Pratiques {tag}", created_at=timezone.now())
        QuestionnaireQuestion.objects.create(questionnaire=questionnaire, order=1, text="Une idée ?", kind="text")
        Invitation.objects.create(
            questionnaire=questionnaire, address="b@example.org", token=f"questionnaire-{tag}", sent_at=timezone.now()
        )
        Survey.objects.create(
            cell=cell,
            request=alerted,
            audience="requester",
            address="a@example.org",
            token=f"enquete-{tag}",
            sent_at=timezone.now(),
        )
        Alert.objects.create(
            cascade=cascade,
            professional=Professional.objects.get(pk=pro.pk),
            step=Step.NEARBY,
            token=f"alerte-{tag}",
            sent_at=timezone.now(),
        )
        PscAccessRequest.objects.create(  # a professional asking through Pro Santé Connect
            cell=cell, rpps=next_rpps(), given_name="CLAUDE", family_name=f"Demandeur{tag}", profession_code="10"
        )
        annuaire_import = AnnuaireImport.objects.create(
            cell=cell,
            created_at=timezone.now(),
            status=ImportStatus.DONE,
            file_name=f"PS_LibreAcces_Personne_activite_{tag}.txt",
            summary={"lines_read": 1, "lines_rejected": 1},
        )
        ImportIssue.objects.create(
            job=annuaire_import,
            line=2,
            level="rejected",
            code="rpps_invalid",
            params={"value": "123"},
            name=f"Rejet{tag}",
        )
    pro = world.cell.professionals.first()
    world.extra_members = [
        MembershipFactory(user=UserFactory(username="sylvie"), cell=world.cell, role=Role.SUPERVISOR).user,
        MembershipFactory(
            user=UserFactory(username="eric"), cell=world.cell, role=Role.EFFECTOR, professional=pro
        ).user,
        MembershipFactory(
            user=UserFactory(username="rita"),
            cell=world.cell,
            role=Role.REQUESTER,
            requester_type="gp",
            professional=pro,
        ).user,
    ]
    return world


_original_force_login = Client.force_login


def _force_login_with_both_factors(self: Client, user: Any, backend: str | None = None) -> None:
    """`force_login` in tests stands for a complete login: password and second factor (a TOTP device of the user,
    marked as verified in the session as django-otp does). The login pages themselves are tested through the form."""
    from accounts.testing import mark_second_factor_verified

    _original_force_login(self, user, backend)
    mark_second_factor_verified(self, user)


Client.force_login = _force_login_with_both_factors
