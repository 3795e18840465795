"""Bringing a professional in (issue 21), in a real browser: the cell administrator invites a GP by e-mail, the GP
follows the link of the e-mail exactly as received (with a long https base address), chooses a username and a
password, and sets up the authenticator app (the test plays the app: it reads the key shown and computes the code).

`gp_joins_by_invitation` stops once the GP is in the cell with both factors: later steps of the GP's first days (their
first plan over a holiday week…) continue from it in tests of their own."""

from __future__ import annotations

import re
import time
from base64 import b32decode
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from accounts.models import Membership, Role, User
from agenda.models import AvailabilityPlan
from common.holidays import public_holidays
from demo.data import DEMO_PASSWORD
from directory.models import Professional
from surveys.models import SurveyPolicy
from territory.models import Cell

from .browser import log_in, log_out, screenshot
from .factories import CellFactory, MembershipFactory, ProfessionalFactory, SiteFactory, TerritoryFactory, commune

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_BASE = "https://coordination-des-soins-non-programmes.cpts-du-pays-d-argentan-et-des-marches.example.fr"
ARGENTAN, GACE = "61006", "61181"
GP_EMAIL = "dr.claire.martin-delacroix@example.org"
GP_PASSWORD = "Trois-chats-gris-dorment-au-soleil-9"


@dataclass
class Onboarding:
    cell: Cell
    gp: Professional  # the GP's record in the directory, not yet a member
    admin: User


@pytest.fixture
def onboarding(settings: Any, communes: None) -> Onboarding:
    settings.AIGUILLAGE_BASE_URL = LONG_BASE
    cell: Cell = CellFactory(
        name="Cellule de coordination des soins non programmés du Pays d'Argentan", slug="argentan"
    )
    TerritoryFactory(cell=cell, name="CPTS du Pays d'Argentan", communes=[ARGENTAN, GACE])
    SurveyPolicy.objects.create(cell=cell, is_active=False)
    site = SiteFactory(cell=cell, name="Maison de santé d'Argentan", commune=commune(ARGENTAN))
    gp = ProfessionalFactory(cell=cell, first_name="Claire", last_name="Martin-Delacroix", email=GP_EMAIL)
    gp.sites.add(site)
    admin = MembershipFactory(user__username="admin-cpts", cell=cell, role=Role.CELL_ADMIN).user
    admin.set_password(DEMO_PASSWORD)
    admin.save()
    return Onboarding(cell, gp, admin)


def _app_code(key_shown: str) -> str:
    totp = TOTP(b32decode(key_shown.replace(" ", "")))
    totp.time = time.time()
    return f"{totp.token():06d}"


def _invitation_email(to: str) -> Any:
    """The e-mail as the live server sent it (after its commit, from its own thread)."""
    for _ in range(50):
        received = [message for message in mail.outbox if to in message.to]
        if received:
            return received[-1]
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {to}")


def gp_joins_by_invitation(page: Page, base: str, world: Onboarding) -> User:
    """The administrator invites the GP as an effector; the GP opens the e-mail's link, creates their account and
    enrols their authenticator app; returns the GP's account, the page on the cell's home with both factors."""
    cell = world.cell.slug
    log_in(page, base, "admin-cpts")
    page.goto(f"{base}/c/{cell}/membres/")
    page.get_by_role("link", name=re.compile(r"^(Invite a person|Inviter une personne)$")).click()
    page.locator("#id_email").fill(GP_EMAIL)
    page.locator("#id_role").select_option(Role.EFFECTOR.value)
    page.locator("#id_professional").select_option(str(world.gp.pk))
    screenshot(page, "invitation-form")
    page.locator("form.edit-form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/c/{cell}/membres/")
    expect(page.locator("section.invitations")).to_contain_text(GP_EMAIL)
    expect(page.locator("section.invitations .invitation-pending")).to_have_count(1)
    log_out(page)

    email = _invitation_email(GP_EMAIL)
    link = re.search(r"https://\S+/invitation/\S+/", email.body)
    assert link is not None, email.body
    assert link.group(0).startswith(f"{LONG_BASE}/invitation/")
    page.goto(base + urlsplit(link.group(0)).path)  # the link as received, on the test server
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.cell.name)
    page.locator("#id_username").fill("dr-martin-delacroix")
    page.locator("#id_first_name").fill("Claire")
    page.locator("#id_last_name").fill("Martin-Delacroix")
    page.locator("#id_password1").fill(GP_PASSWORD)
    page.locator("#id_password2").fill(GP_PASSWORD)
    screenshot(page, "invitation-accept")
    page.locator("form.edit-form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/compte/double-authentification/"))
    key = page.locator(".otp-key").inner_text()
    page.locator("#id_token").fill(_app_code(key))
    page.locator("form.edit-form button[type=submit]").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Je les ai conservés : continuer").click()
    expect(page).to_have_url(f"{base}/c/{cell}/")
    gp_user = User.objects.get(username="dr-martin-delacroix")
    membership = Membership.objects.get(user=gp_user, cell=world.cell)
    assert (membership.role, membership.professional_id, membership.is_active) == (Role.EFFECTOR, world.gp.pk, True)
    return gp_user


def test_an_invited_gp_sets_a_password_and_enrols_the_app_then_reaches_the_cell(
    live_server: object, page: Page, onboarding: Onboarding
) -> None:
    base = str(live_server)
    gp_user = gp_joins_by_invitation(page, base, onboarding)
    assert gp_user.check_password(GP_PASSWORD) and gp_user.email == GP_EMAIL
    screenshot(page, "invitation-gp-home")
    link = re.search(r"https://\S+/invitation/\S+/", _invitation_email(GP_EMAIL).body)
    assert link is not None
    again = page.goto(base + urlsplit(link.group(0)).path)  # the same link again: used, nothing more is created
    assert again is not None and again.status == 410
    expect(page.get_by_role("alert")).to_be_visible()
    assert Membership.objects.filter(cell=onboarding.cell).count() == 2


def _next_holiday_week() -> tuple[date, date, date]:
    """The next public holiday on a weekday at least two days ahead, and the Monday-to-Friday around it (from
    tomorrow at the earliest)."""
    start = timezone.localdate() + timedelta(days=2)
    holiday = next(
        day
        for day in public_holidays("", start, start + timedelta(days=400))
        if day.weekday() < 5  # Mon–Fri
    )
    monday = holiday - timedelta(days=holiday.weekday())
    first = max(monday, timezone.localdate() + timedelta(days=1))
    return holiday, first, monday + timedelta(days=4)


def test_the_invited_gp_publishes_a_plan_over_a_holiday_week_and_gets_no_slot_on_the_holiday(
    live_server: object, page: Page, onboarding: Onboarding
) -> None:
    base = str(live_server)
    gp_user = gp_joins_by_invitation(page, base, onboarding)
    holiday, first, last = _next_holiday_week()
    page.goto(f"{base}/c/{onboarding.cell.slug}/agenda/plans/nouveau/")
    for weekday in range(5):
        page.locator(f"#id_weekdays_{weekday}").check()
    page.locator("#id_start_time").fill("18:00")
    page.locator("#id_end_time").fill("19:00")
    page.locator("#id_first_day").fill(first.isoformat())
    page.locator("#id_last_day").fill(last.isoformat())
    page.locator("#id_open_to_pharmacists").check()
    page.locator("form.edit-form button[type=submit]").click()
    status = page.get_by_role("status").first
    expect(status).to_contain_text(date_format(holiday, "j F"))  # the save says which holiday was skipped
    screenshot(page, "plan-over-a-holiday-week")

    plan = AvailabilityPlan.objects.get(professional=onboarding.gp)
    days = {timezone.localtime(start).date() for start in plan.slots.values_list("starts_at", flat=True)}
    expected = {first + timedelta(days=n) for n in range((last - first).days + 1)} - {holiday}
    assert days == expected and holiday not in days
    assert plan.slots.count() == 4 * len(expected)  # 15-minute slots from 18:00 to 19:00
    assert gp_user.memberships.get(cell=onboarding.cell).role == Role.EFFECTOR
