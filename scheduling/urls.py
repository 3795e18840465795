from django.urls import path

from . import views

# Included at the root, outside any namespace: the monitoring's addresses are short and fixed.
urlpatterns = [
    path("healthz", views.Healthz.as_view(), name="healthz"),
    path("readyz", views.Readyz.as_view(), name="readyz"),
]
