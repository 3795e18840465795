"""The public addresses behind the partners' QR codes (no account)."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("<str:token>/", views.PublicRequest.as_view(), name="request"),
    path("<str:token>/merci/", views.PublicThanks.as_view(), name="thanks"),
]
