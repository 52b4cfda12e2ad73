"""Insights addresses: staff pages under /staff/insights/, the public data page at /data/
(ADR 0002)."""

from django.urls import path

from pcref.insights import views

staff_urlpatterns = (
    [
        path("", views.history, name="history"),
        path("dashboard/", views.dashboard, name="dashboard"),
        path("uploads/new/", views.upload, name="upload_new"),
        path("uploads/<uuid:pk>/", views.upload_detail, name="upload"),
        path("uploads/<uuid:pk>/report/", views.report, name="report"),
        path("uploads/<uuid:pk>/report.csv", views.report_csv, name="report_csv"),
        path("runs/<uuid:pk>/", views.run_detail, name="run"),
        path("runs/<uuid:pk>/results.<str:file_format>", views.run_download, name="results"),
        path("runs/<uuid:pk>/again/", views.rerun, name="rerun"),
    ],
    "insights_staff",
)

public_urlpatterns = ([], "insights")
