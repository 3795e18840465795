"""Loads the demo data set of `demo.data` into the database.

Idempotent: every row is looked up by a natural key (cell slug, territory name, site name and commune, RPPS,
resource kind and name, username…) and only written when something differs, so a second run creates nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from itertools import count
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership, Role, User
from common.identifiers import luhn_key
from common.text import normalize
from directory.models import Professional, ReorientationResource, Site
from indicators.history import generate_history, has_history
from referrals.models import Request
from territory.geo import great_circle_km
from territory.models import Cell, Commune, Territory
from territory.services import RangeInput, opening_hours_set

from . import data
from .agenda import load_demo_agenda
from .appointments import load_demo_appointments
from .data import DEMO_PASSWORD
from .pools import POOL_RPPS_NUMBER, demo_pool_professional, load_demo_pool, load_demo_pool_bookings
from .protocol import load_demo_protocol
from .requests import load_demo_requests
from .surveys import load_demo_patient_surveys
from .tags import load_demo_tags

__all__ = ["DEMO_PASSWORD", "DemoDataError", "DemoSummary", "demo_adeli", "demo_rpps", "load_demo"]

M = TypeVar("M", bound=models.Model)


class DemoDataError(RuntimeError):
    """The reference communes do not fit the demo data: not loaded, or the official list has changed."""


@dataclass
class DemoSummary:
    """What the demo cells hold after loading, and how many rows this run had to create."""

    cells: int = 0
    territories: int = 0
    communes: int = 0
    sites: int = 0
    professionals: int = 0
    resources: int = 0
    users: int = 0
    memberships: int = 0
    requests: int = 0
    created: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, cell name)


def demo_rpps(number: int) -> str:
    """The `number`-th demo RPPS: 11 digits passing the Luhn check, in 1990000…: real RPPS numbers begin with 10,
    and the test factories use 1999…, so a demo professional can be mistaken for neither."""
    body = f"1990000{number:03d}"
    return body + luhn_key(body)


def demo_adeli(number: int) -> str:
    """The `number`-th demo ADELI number, in department 61."""
    return f"61699{number:04d}"


def _names() -> Iterator[tuple[str, str]]:
    for index in count():
        yield data.FIRST_NAMES[index % len(data.FIRST_NAMES)], data.LAST_NAMES[index % len(data.LAST_NAMES)]


def _email(first_name: str, last_name: str) -> str:
    return f"{normalize(first_name)}.{normalize(last_name)}@example.org".replace(" ", "-")


def _mssante(first_name: str, last_name: str, profession: str) -> str:
    """A GP's MSSanté address, invented under a domain no MSSanté operator has (docs/mssante.md)."""
    if profession != "gp":
        return ""
    return f"{normalize(first_name)}.{normalize(last_name)}@aiguillage-demo.mssante.fr".replace(" ", "-")


class _Loader:
    def __init__(self) -> None:
        self.created = 0
        self.names = _names()
        self.rpps_numbers = count(1)
        self.adeli_numbers = count(1)
        self.phone_numbers = count(5000)
        # Per cell slug, so that accounts can point at what the rows above created.
        self.sites: dict[str, dict[str, Site]] = {}
        self.professionals: dict[str, dict[str, Professional]] = {}

    def upsert(self, model: type[M], lookup: Mapping[str, Any], values: Mapping[str, Any]) -> M:
        """get_or_create, then a full save() only if a value differs (update_or_create would restrict the save
        to `values` and leave derived fields such as Professional.search_name stale)."""
        obj, created = model._default_manager.get_or_create(**lookup, defaults=dict(values))
        if created:
            self.created += 1
        elif any(getattr(obj, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()
        return obj

    def territory_communes(self, spec: data.CellData) -> dict[Commune, str]:
        """The `spec.size` communes of the department nearest to a hub, each with its nearest hub (its sector).

        Sorted by (distance, INSEE code) so that the choice does not depend on the database's order."""
        hubs = list(Commune.objects.filter(insee_code__in=spec.hubs))
        hub_points = [
            (hub.insee_code, hub.latitude, hub.longitude)
            for hub in hubs
            if hub.latitude is not None and hub.longitude is not None
        ]
        if len(hub_points) != len(spec.hubs):
            raise DemoDataError(
                f"Communes de référence absentes ou sans coordonnées parmi {', '.join(spec.hubs)} : "
                "lancez d'abord « manage.py migrate » (ou « load_communes »)."
            )
        ranked: list[tuple[float, str, str, Commune]] = []
        candidates = Commune.objects.filter(department=spec.department, latitude__isnull=False, longitude__isnull=False)
        for commune in candidates:
            assert commune.latitude is not None and commune.longitude is not None  # filtered above
            distance, hub_code = min(
                (great_circle_km(commune.latitude, commune.longitude, lat, lon), code) for code, lat, lon in hub_points
            )
            ranked.append((distance, commune.insee_code, hub_code, commune))
        ranked.sort(key=lambda row: (row[0], row[1]))
        return {commune: hub_code for _, _, hub_code, commune in ranked[: spec.size]}

    def load_cell(self, spec: data.CellData) -> Cell:
        cell = self.upsert(
            Cell,
            {"slug": spec.slug},
            {"name": spec.name, "phone": spec.phone, "patient_phone": spec.patient_phone, "email": spec.email},
        )
        sectors = self.territory_communes(spec)
        territory = self.upsert(Territory, {"cell": cell, "name": spec.territory}, {"finess": spec.finess})
        territory.communes.set(sectors)
        by_insee = {commune.insee_code: commune for commune in sectors}

        def commune_of(insee: str, what: str) -> Commune:
            # Sites and resources must lie in their cell's territory; a change in the official list shows here.
            try:
                return by_insee[insee]
            except KeyError:
                raise DemoDataError(f"{what} : la commune {insee} est hors du territoire {spec.territory}.") from None

        sites = self.sites[spec.slug] = {}
        for row in data.SITES[spec.slug]:
            sites[row.key] = self.upsert(
                Site,
                {"cell": cell, "name": row.name, "commune": commune_of(row.insee, row.name)},
                {
                    "kind": row.kind,
                    "address": row.address,
                    "phone": row.phone,
                    "hours": row.hours,
                    "sms_name": row.sms_name,
                    "is_active": True,
                },
            )

        professionals = self.professionals[spec.slug] = {}
        for pro in data.PROFESSIONALS[spec.slug]:
            first_name, last_name = pro.name or data.NAMED_PROFESSIONALS.get(pro.key) or next(self.names)
            values: dict[str, Any] = {
                "first_name": first_name,
                "last_name": last_name,
                "profession": pro.profession,
                "specialty": pro.specialty,
                "is_adherent": pro.is_adherent,
                "teleconsultant_tier": pro.tier,
                "phone": f"+3326191{next(self.phone_numbers):04d}",
                "email": _email(first_name, last_name),
                "mssante": _mssante(first_name, last_name, pro.profession),
                "rpps": demo_rpps(next(self.rpps_numbers)) if pro.identifier == "rpps" else "",
                "adeli": demo_adeli(next(self.adeli_numbers)) if pro.identifier == "adeli" else "",
                "is_active": True,
            }
            # The identifier is the professional's natural key; one without any is known by name and profession.
            if values["rpps"]:
                lookup: dict[str, Any] = {"cell": cell, "rpps": values["rpps"]}
            elif values["adeli"]:
                lookup = {"cell": cell, "adeli": values["adeli"]}
            else:
                lookup = {"cell": cell, "profession": pro.profession, "last_name": last_name, "first_name": first_name}
            professional = self.upsert(Professional, lookup, values)
            professional.sites.set([sites[key] for key in pro.sites])
            professionals[pro.key] = professional

        territory_communes = list(sectors)
        for res in data.RESOURCES[spec.slug]:
            commune = commune_of(res.insee, res.name) if res.insee else None
            resource = self.upsert(
                ReorientationResource,
                {"cell": cell, "kind": res.kind, "name": res.name},
                {
                    "address": res.address,
                    "commune": commune,
                    "phone": res.phone,
                    "hours": res.hours,
                    "notes": res.notes,
                    "is_active": True,
                },
            )
            if res.own_commune_only and commune is not None:
                served = [commune]
            elif res.served:
                served = [c for c in territory_communes if sectors[c] in res.served]
            else:
                served = territory_communes
            resource.communes_served.set(served)
        return cell

    def load_account(self, account: data.AccountData, cell: Cell) -> User:
        professional = self.professionals[account.cell][account.professional] if account.professional else None
        site = self.sites[account.cell][account.site] if account.site else None
        if account.name is not None:
            first_name, last_name = account.name
        else:
            assert professional is not None, f"{account.username}: a name or a professional is needed"
            first_name, last_name = professional.first_name, professional.last_name
        email = f"{account.username}@example.org"
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User.objects.create_user(
                account.username, email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, is_demo=True
            )
            self.created += 1
        elif (user.first_name, user.last_name, user.email, user.is_active, user.is_demo) != (
            first_name,
            last_name,
            email,
            True,
            True,
        ) or (not user.check_password(DEMO_PASSWORD)):
            # Someone changed the account during a demo: put it back as the documentation describes it.
            user.first_name, user.last_name, user.email = first_name, last_name, email
            user.set_password(DEMO_PASSWORD)
            user.is_active = user.is_demo = True
            user.save()
        self.upsert(
            Membership,
            {"user": user, "cell": cell},
            {
                "role": account.role,
                "requester_type": account.requester_type,
                "professional": professional,
                "site": site,
                "is_active": True,
            },
        )
        return user


@transaction.atomic
def load_demo(*, history: bool = True) -> DemoSummary:
    """Create or refresh the demo cells, their territories, directory and accounts; see `demo.data`. `history`: also
    two years of invented past activity (the indicators, the capacity forecast); the browser tests, which load the
    demo for each test and never read those pages' figures, go without it."""
    loader = _Loader()
    cells = {spec.slug: loader.load_cell(spec) for spec in data.CELLS}
    if len(data.CELLS) > 1:  # the teleconsultant the second cell shares (decision 0021) has an account
        home = data.CELLS[1].slug
        loader.professionals[home][data.POOL_TELECONSULTANT] = demo_pool_professional(
            cells[home], demo_rpps(POOL_RPPS_NUMBER)
        )
    for account in data.ACCOUNTS:
        loader.load_account(account, cells[account.cell])
    # A working day in the queue of the first cell, handled by its coordinator.
    first = cells[data.CELLS[0].slug]
    coordinator = (
        User.objects.filter(memberships__cell=first, memberships__role=Role.COORDINATOR).order_by("pk").first()
    )
    for cell in cells.values():
        loader.created += load_demo_protocol(cell)
    if not first.opening_ranges.exists():  # the demo cell's hours: Monday–Friday 8:00–19:00, Saturday 9:00–12:00
        week: dict[int, list[RangeInput]] = {day: [(time(8), time(19))] for day in range(5)}
        week[5] = [(time(9), time(12))]
        opening_hours_set(cell=first, days=week, open_on_public_holidays=False)
        loader.created += len(week)
    loader.created += load_demo_agenda(first, loader.sites[first.slug], loader.professionals[first.slug])
    # A regional teleconsultant of the second cell shared with the first (decision 0021).
    if len(data.CELLS) > 1:
        loader.created += load_demo_pool(cells[data.CELLS[1].slug], first, demo_rpps(POOL_RPPS_NUMBER))
    if coordinator is not None:
        loader.created += load_demo_requests(first, coordinator)
        loader.created += load_demo_tags(first, coordinator)
        loader.created += load_demo_appointments(first, coordinator, loader.professionals[first.slug])
        if len(data.CELLS) > 1:  # Orne-Est's spot paired with the shared teleconsultant's time
            loader.created += load_demo_pool_bookings(first, coordinator, loader.professionals[first.slug])
    # Two years behind, for the indicators and the capacity forecast (a year to compare with).
    if history and not has_history(first):
        made = generate_history(first, days=728, requests_per_day=8, slots_per_day=12, until=timezone.localdate())
        loader.created += made.requests + made.slots
    loader.created += load_demo_patient_surveys(first)  # the patients' answers, beside the professionals'

    demo_cells = list(cells.values())
    return DemoSummary(
        cells=len(demo_cells),
        territories=Territory.objects.filter(cell__in=demo_cells).count(),
        communes=Commune.objects.filter(territories__cell__in=demo_cells).distinct().count(),
        sites=Site.objects.filter(cell__in=demo_cells).count(),
        professionals=Professional.objects.filter(cell__in=demo_cells).count(),
        resources=ReorientationResource.objects.filter(cell__in=demo_cells).count(),
        users=User.objects.filter(username__in=[account.username for account in data.ACCOUNTS]).count(),
        memberships=Membership.objects.filter(cell__in=demo_cells).count(),
        requests=Request.objects.filter(cell__in=demo_cells).count(),
        created=loader.created,
        accounts=[
            (account.username, str(Role(account.role).label), cells[account.cell].name) for account in data.ACCOUNTS
        ],
    )
