"""The background side of the directory (`manage.py db_worker`): a site's address geocoded by BAN once the site is
saved without a point, and the Annuaire Santé imports."""

from __future__ import annotations

from django_tasks import task

from territory.geocoding import geocode
from territory.models import PointPrecision

from . import services
from .models import Site


@task()
def geocode_site(site_pk: int) -> None:
    site = Site.objects.select_related("commune").filter(pk=site_pk).first()
    if site is None or site.latitude is not None or not site.address:
        return
    point = geocode(street=site.address, commune=site.commune)
    if point is None or point.precision == PointPrecision.COMMUNE:
        return  # the site keeps no point of its own: its commune's is used
    # Written only if nobody gave the site a point or another address meanwhile (a conditional UPDATE, no lock held
    # while BAN was asked).
    Site.objects.filter(
        pk=site.pk, latitude__isnull=True, longitude__isnull=True, address=site.address, commune=site.commune_id
    ).update(latitude=point.latitude, longitude=point.longitude)


@task()
def run_annuaire_import(job_pk: int) -> None:
    services.annuaire_import_run(job_pk=job_pk)
