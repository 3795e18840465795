from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("fhir/metadata", views.metadata, name="metadata"),
    path("fhir/Slot", views.slot_search, name="slot_search"),
    path("fhir/Practitioner", views.practitioners, name="practitioners"),
    path("sas/creneaux/<int:slot_id>/", views.sas_slot, name="sas_slot"),
]
