from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("fhir/metadata", views.metadata, name="metadata"),
    path("fhir/Slot", views.slot_search, name="slot_search"),
    path("fhir/Practitioner", views.practitioners, name="practitioners"),
    path("fhir/Practitioner/<str:resource_id>", views.practitioner_read, name="practitioner_read"),
    path("fhir/ServiceRequest", views.service_request_create, name="service_request_create"),
    path("fhir/ServiceRequest/<str:resource_id>", views.service_request_read, name="service_request_read"),
    path("fhir/Task", views.task_search, name="task_search"),
    path("fhir/Task/<str:resource_id>", views.task_read, name="task_read"),
    path("fhir/<path:rest>", views.not_served, name="not_served"),
    path("sas/creneaux/<int:slot_id>/", views.sas_slot, name="sas_slot"),
]
