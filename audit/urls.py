from django.urls import path

from . import rights_views, views

app_name = "audit"

urlpatterns = [
    path("journal-des-acces/", views.AccessLog.as_view(), name="access_log"),
    path("conservation-des-donnees/", rights_views.DataPolicyEdit.as_view(), name="data_policy"),
    path("droits-des-patients/", rights_views.PatientSearch.as_view(), name="patient_search"),
    path("droits-des-patients/<int:pk>/", rights_views.PatientRights.as_view(), name="patient_rights"),
    path("droits-des-patients/<int:pk>/effacer/", rights_views.PatientErase.as_view(), name="patient_erase"),
    path(
        "droits-des-patients/<int:pk>/donnees.<slug:fmt>", rights_views.PatientExport.as_view(), name="patient_export"
    ),
]
