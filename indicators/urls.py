from django.urls import path

from . import report_views, views

app_name = "indicators"

urlpatterns = [
    path("", views.Dashboard.as_view(), name="dashboard"),
    path("export/<slug:table>.<slug:fmt>", views.Export.as_view(), name="export"),
    path("rapport/", views.Report.as_view(), name="report"),
    path("rapports/", report_views.Reports.as_view(), name="reports"),
    path("rapports/<int:pk>/", report_views.ReportJobDetail.as_view(), name="report_job"),
    path("rapports/<int:pk>/fichier", report_views.ReportJobDownload.as_view(), name="report_job_download"),
]
