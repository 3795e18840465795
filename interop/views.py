"""The FHIR server (`/fhir/`) and the SAS platform's link to a slot (`/sas/creneaux/<id>/`): parse, call, answer."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.policies import AUTHENTICATED, declare

from . import capability, selectors, service_requests
from . import practitioners as practitioners_module
from .http import FhirError, client_of, fhir_endpoint, fhir_response, json_body
from .search import parse_slot_search
from .slots import base_url, slot_bundle


@fhir_endpoint(("GET",))
def metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(capability.capability_statement())


@fhir_endpoint(("GET",))
def slot_search(request: HttpRequest) -> HttpResponse:
    """INT_R04: the SAS platform's search of free slots (an unknown practitioner or none free: 200, total 0)."""
    search = parse_slot_search(request.GET)
    return fhir_response(slot_bundle(search, request.GET))


@declare(AUTHENTICATED)
@require_GET
@login_required
def sas_slot(request: HttpRequest, slot_id: int) -> HttpResponse:
    """The `comment` of a slot sent to the SAS: a regulator (logged in first, Pro Santé Connect or password) lands on
    the cell's request form with that slot chosen; a slot taken meanwhile says so and offers the others."""
    user = cast(User, request.user)
    slot = selectors.slot_of_member(user, slot_id)  # another cell's slot: 404, as if it did not exist
    membership = selectors.booking_membership(user, slot) if slot is not None else None
    if slot is None or membership is None:
        return render(request, "interop/sas_slot_refused.html", {"slot": slot}, status=403 if slot else 404)
    target = reverse("referrals:request_new", kwargs={"cell": slot.cell.slug})
    if not slot.is_free(timezone.now()):
        messages.warning(request, gettext("This slot was taken or withdrawn meanwhile: choose another one."))
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(f"{target}?creneau={slot.pk}")


@fhir_endpoint(("POST", "PUT"), sas_only=True)
def practitioners(request: HttpRequest) -> HttpResponse:
    """INT_R02: POST creates a regulator's account, PUT ?identifier=… updates it (or creates it when unknown);
    `active: false` disables it and ends its sessions."""
    lookup = practitioners_module.condition(request.GET.get("identifier")) if request.method == "PUT" else None
    regulator, created = practitioners_module.save(json_body(request), lookup)
    resource = practitioners_module.practitioner_resource(regulator)
    location = f"{base_url()}/Practitioner/{resource['id']}"
    return fhir_response(resource, status=201 if created else 200, headers={"Location": location})


@fhir_endpoint(("POST",))
def service_request_create(request: HttpRequest) -> HttpResponse:
    """A request for unscheduled care; the same identifier twice answers the first request (200)."""
    created_request, created = service_requests.service_request_create(json_body(request), client_of(request))
    resource = service_requests.service_request_resource(created_request)
    location = f"{base_url()}/ServiceRequest/{created_request.pk}"
    return fhir_response(resource, status=201 if created else 200, headers={"Location": location})


@fhir_endpoint(("GET",))
def service_request_read(request: HttpRequest, resource_id: str) -> HttpResponse:
    found = service_requests.request_of_client(resource_id, client_of(request), "ServiceRequest")
    return fhir_response(service_requests.service_request_resource(found))


@fhir_endpoint(("GET",))
def task_read(request: HttpRequest, resource_id: str) -> HttpResponse:
    found = service_requests.request_of_client(resource_id, client_of(request), "Task")
    return fhir_response(service_requests.task_resource(found))


@fhir_endpoint(("GET",))
def task_search(request: HttpRequest) -> HttpResponse:
    """`Task?focus=ServiceRequest/{id}`: a searchset of the one Task (none when the request is not this client's)."""
    focus = request.GET.get("focus", "")
    if not focus.startswith("ServiceRequest/"):
        raise FhirError(400, gettext("focus=ServiceRequest/<id> is required."), expression="focus")
    tasks = []
    try:
        found = service_requests.request_of_client(focus.split("/", 1)[1], client_of(request), "Task")
        tasks.append(service_requests.task_resource(found))
    except FhirError:
        pass
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(tasks),
            "link": [{"relation": "self", "url": f"{base_url()}/Task?focus={focus}"}],
            "entry": [
                {"fullUrl": f"{base_url()}/Task/{t['id']}", "resource": t, "search": {"mode": "match"}} for t in tasks
            ],
        }
    )


@fhir_endpoint(("GET",), sas_only=True)
def practitioner_read(request: HttpRequest, resource_id: str) -> HttpResponse:
    """The regulator's account as Aiguillage holds it (the address `Location` gives after INT_R02)."""
    return fhir_response(practitioners_module.practitioner_resource(practitioners_module.regulator_of(resource_id)))


@fhir_endpoint(("GET", "POST", "PUT", "DELETE", "PATCH"))
def not_served(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other address under /fhir/: an OperationOutcome, not an HTML page."""
    raise FhirError(404, gettext("Not served here: %(path)s.") % {"path": request.path}, code="not-found")
