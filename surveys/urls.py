from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("reglages/", views.SurveyPolicyEdit.as_view(), name="policy"),
]
