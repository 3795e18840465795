from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("reglages/", views.SurveyPolicyEdit.as_view(), name="policy"),
    path("questionnaires/", views.QuestionnaireList.as_view(), name="questionnaires"),
    path("questionnaires/<int:pk>/", views.QuestionnaireDetail.as_view(), name="questionnaire"),
]
