from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("", views.QueueView.as_view(), name="queue"),
    path("nouvelle/", views.IntakeView.as_view(), name="request_new"),
    path("telephone/", views.PhoneIntakeView.as_view(), name="request_phone"),
    path("envoyees/", views.MyRequests.as_view(), name="my_requests"),
    path("<int:pk>/", views.RequestDetail.as_view(), name="request_detail"),
    path("<int:pk>/<slug:action>/", views.RequestAction.as_view(), name="request_action"),
]
