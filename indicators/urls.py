from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.Dashboard.as_view(), name="dashboard"),
    path("export/<slug:table>.<slug:fmt>", views.Export.as_view(), name="export"),
    path("rapport/", views.Report.as_view(), name="report"),
]
