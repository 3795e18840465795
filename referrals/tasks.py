"""Background work of requests: the patient's address geocoded by BAN once the request is saved (territory/geocoding).

The task carries the request's id, never the address (the task table keeps its arguments). Until it has run, and
whenever BAN cannot place the address, distances are from the patient's commune.
"""

from __future__ import annotations

from django_tasks import task

from territory.geocoding import geocode

from .models import Request


@task()
def geocode_patient_address(request_pk: int) -> None:
    request = Request.objects.select_related("patient_commune").filter(pk=request_pk).first()
    if request is None or request.anonymised_at is not None or not request.patient_street:
        return
    geocode(street=request.patient_street, commune=request.patient_commune)
