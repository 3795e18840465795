from django.urls import path

from . import views

app_name = "alerts"

urlpatterns = [
    path("demandes/<int:pk>/alerter/", views.CascadeStart.as_view(), name="start"),
    path("alertes/<int:pk>/arreter/", views.CascadeStop.as_view(), name="stop"),
    path("reglages/", views.AlertPolicyEdit.as_view(), name="policy"),
]
