"""The public addresses behind the partners' QR codes (no account)."""

from django.urls import path

from .views import public

app_name = "public"

urlpatterns = [
    path("<str:token>/", public.PublicRequest.as_view(), name="request"),
    path("<str:token>/merci/", public.PublicThanks.as_view(), name="thanks"),
]
