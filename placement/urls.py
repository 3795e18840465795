from django.urls import path

from . import views

app_name = "placement"

urlpatterns = [
    path("", views.Assistant.as_view(), name="assistant"),
    path("appliquer/", views.Apply.as_view(), name="apply"),
    path("resultat/", views.Applied.as_view(), name="applied"),
]
