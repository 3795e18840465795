from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("journal-des-acces/", views.AccessLog.as_view(), name="access_log"),
]
