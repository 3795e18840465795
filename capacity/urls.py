from django.urls import path

from . import views

app_name = "capacity"

urlpatterns = [
    path("", views.CapacityPage.as_view(), name="page"),
    path("envoyer/", views.CapacityRequestSend.as_view(), name="send"),
]
