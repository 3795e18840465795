"""The demo's agenda in CSNP Orne-Est, made through the agenda's own services: GP evenings and imaging as recurring
plans, a physiotherapy slot a week, the Médicobus tour, a telemedicine spot with its six IDEL, and teleconsultants of
the three tiers. The spot is open from today (an invented season), so the assisted teleconsultation can be tried."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.utils import timezone

from agenda import services
from agenda.models import AvailabilityPlan, MedicobusTour
from directory.models import Professional, Site
from territory.models import Cell, Commune

from . import data

ALL_AUDIENCES = {"open_to_pharmacists": True, "open_to_sas": True, "open_to_er": True}
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)


def load_demo_agenda(cell: Cell, sites: dict[str, Site], professionals: dict[str, Professional]) -> int:
    """Plans, tour and spot, created once (while the cell has a plan, nothing is added); returns the slots made."""
    if AvailabilityPlan.objects.filter(cell=cell).exists():
        return services.plans_extend_all()
    today = timezone.localdate()
    period: dict[str, Any] = {"first_day": today, "last_day": today + timedelta(days=120)}
    created = 0

    def plan(professional: str, site: Site | None, weekdays: list[int], start: time, end: time, **fields: Any) -> None:
        nonlocal created
        result = services.plan_save(
            cell=cell,
            professional=professionals[professional],
            site=site,
            weekdays=weekdays,
            start_time=start,
            end_time=end,
            **{"minutes": 20, "care_channel": "gp", "modality": "in_person", **period, **fields},
        )
        created += result.created

    # Six GPs each release an evening or two a week at their practice, open to pharmacists, the SAS and the ER.
    evenings = [[MONDAY, WEDNESDAY], [TUESDAY, THURSDAY], [WEDNESDAY, FRIDAY], [MONDAY, THURSDAY], [TUESDAY], [FRIDAY]]
    for number, weekdays in enumerate(evenings, start=1):
        key = f"gp-{number:02d}"
        plan(key, professionals[key].sites.first(), weekdays, time(18, 0), time(19, 0), **ALL_AUDIENCES)
    # Seed 004: imaging open to the GPs of the experiment by name (the demo GP account's doctor among them), not to
    # every GP.
    experiment = [professionals["gp-15"], professionals["gp-03"]]
    plan("radio-01", sites["imagerie"], [MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY], time(14, 0), time(15, 0),
         care_channel="imaging", exam_type="radiography", open_to_professionals=experiment)  # fmt: skip
    plan(
        "kine-01",
        sites["kine-argentan"],
        [THURSDAY],
        time(17, 0),
        time(17, 30),
        minutes=30,
        care_channel="physiotherapy",
    )
    # Two nursing slots at Vimoutiers, one soon and one a day later (the placement assistant's case,
    # demo/requests.py): in three hours, or at 9:00 when that falls outside the day.
    soon = timezone.localtime() + timedelta(hours=3)
    if not 8 <= soon.hour < 19:
        soon = (soon + timedelta(days=1 if soon.hour >= 19 else 0)).replace(hour=9)
    for day in (soon.date(), soon.date() + timedelta(days=1)):
        created += len(
            services.slots_publish(
                cell=cell,
                professional=professionals["idel-01"],
                site=sites["idel-vimoutiers"],
                day=day,
                start=time(soon.hour, 0),
                end=time(soon.hour, 30),
                minutes=30,
                care_channel="nursing",
                modality="in_person",
            )
        )
    # Teleconsultants' own time (no site): a volunteer, the regional pool, an extra-territorial doctor.
    remote = {"modality": "assisted_teleconsultation"}
    plan("tc-01", None, [MONDAY], time(14, 0), time(16, 0), **remote)
    plan("tc-04", None, [MONDAY, WEDNESDAY, FRIDAY], time(14, 0), time(18, 0), **remote)
    plan("tc-07", None, [WEDNESDAY, FRIDAY], time(16, 0), time(18, 0), **remote)
    # Seed 001: the summer spot reopens each season. Its first season starts today (times to book in the demo), the
    # next runs from 15 July to 31 August of the coming summer.
    after = today + timedelta(days=61)
    summer = after.year if after <= date(after.year, 7, 15) else after.year + 1
    _spot, spot_result = services.spot_save(
        cell=cell,
        site=sites["spot"],
        nurses=[professionals[f"idel-0{i}"] for i in range(1, 7)],
        weekdays=[MONDAY, WEDNESDAY, FRIDAY],
        start_time=time(14, 0),
        end_time=time(18, 0),
        minutes=20,
        open_to_sas=True,
        periods=[(today, today + timedelta(days=60)), (date(summer, 7, 15), date(summer, 8, 31))],
    )
    created += spot_result.created
    if not MedicobusTour.objects.filter(cell=cell).exists():
        stops = [
            services.StopData(MONDAY, _commune(data.GACE), "Place du Marché", time(9, 0), time(12, 0)),
            services.StopData(TUESDAY, _commune(data.VIMOUTIERS), "Parking de la mairie", time(9, 0), time(12, 0)),
            services.StopData(WEDNESDAY, _commune(data.ECOUCHE), "Place de l'Église", time(14, 0), time(17, 0)),
            services.StopData(THURSDAY, _commune(data.RAI), "Salle des fêtes", time(9, 0), time(11, 0)),
        ]
        tour = services.tour_save(
            cell=cell,
            name="Tournée du Médicobus Orne-Est",
            doctor=professionals["medicobus-doctor"],
            assistant=professionals["medicobus-assistant"],
            site=sites["medicobus"],
            stops=stops,
            **period,
        )
        created += tour.created
    return created


def _commune(insee: str) -> Commune:
    return Commune.objects.get(insee_code=insee)
