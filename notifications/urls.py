from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.Outbox.as_view(), name="outbox"),
    path("<int:pk>/", views.MessageDetail.as_view(), name="message_detail"),
    path("<int:pk>/lire/", views.HealthMessageRead.as_view(), name="health_message"),
    path("textes/", views.TemplateList.as_view(), name="templates"),
    path("textes/<slug:kind>/", views.TemplateEdit.as_view(), name="template_edit"),
]
