from django.urls import path

from . import access_log_views, views

app_name = "privacy"

urlpatterns = [
    path("journal-des-acces/", access_log_views.AccessLog.as_view(), name="access_log"),
    path("conservation-des-donnees/", views.DataPolicyEdit.as_view(), name="data_policy"),
    path("droits-des-patients/", views.PatientSearch.as_view(), name="patient_search"),
    path("droits-des-patients/<int:pk>/", views.PatientRights.as_view(), name="patient_rights"),
    path("droits-des-patients/<int:pk>/effacer/", views.PatientErase.as_view(), name="patient_erase"),
    path("droits-des-patients/<int:pk>/donnees.<slug:fmt>", views.PatientExport.as_view(), name="patient_export"),
]
