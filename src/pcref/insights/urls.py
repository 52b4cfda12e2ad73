"""Insights addresses: staff pages under /staff/insights/, the public data page at /data/
(ADR 0002)."""

from django.urls import path

from pcref.insights import (
    views,
    views_experience,
    views_metrics,
    views_public,
    views_publication,
    views_quality,
    views_reports,
)

staff_urlpatterns = (
    [
        path("", views.history, name="history"),
        path("dashboard/", views.dashboard, name="dashboard"),
        path("data-quality/", views_quality.data_quality, name="quality"),
        path("experience/", views_experience.experience_page, name="experience"),
        path("metrics/<str:metric>/", views_metrics.metric, name="metric"),
        path("uploads/new/", views.upload, name="upload_new"),
        path("uploads/<uuid:pk>/", views.upload_detail, name="upload"),
        path("uploads/<uuid:pk>/report/", views.report, name="report"),
        path("uploads/<uuid:pk>/start-again/", views.upload_restart, name="upload_restart"),
        path("uploads/<uuid:pk>/report.csv", views.report_csv, name="report_csv"),
        path("runs/<uuid:pk>/", views.run_detail, name="run"),
        path("runs/<uuid:pk>/results.<str:file_format>", views.run_download, name="results"),
        path("runs/<uuid:pk>/again/", views.rerun, name="rerun"),
        path("runs/<uuid:pk>/start-again/", views.run_restart, name="run_restart"),
        path("runs/<uuid:pk>/publish/", views_publication.publish, name="publish"),
        path("runs/<uuid:pk>/unpublish/", views_publication.unpublish, name="unpublish"),
        path("reports/", views_reports.report_list, name="reports"),
        path("reports/new/", views_reports.report_new, name="report_new"),
        path("reports/<uuid:pk>/", views_reports.report_detail, name="report_detail"),
        path(
            "reports/<uuid:pk>/report.<str:file_format>",
            views_reports.report_file,
            name="report_file",
        ),
        path("reports/<uuid:pk>/publish/", views_reports.report_publish, name="report_publish"),
        path(
            "reports/<uuid:pk>/start-again/",
            views_reports.report_restart,
            name="report_restart",
        ),
    ],
    "insights_staff",
)

public_urlpatterns = (
    [
        path("data/", views_public.data, name="data"),
        path("data/data.csv", views_public.data_csv, name="data_csv"),
        path("data/data.json", views_public.data_json, name="data_json"),
        path("data/schema.json", views_public.data_schema, name="data_schema"),
        path("report/", views_reports.annual_report, name="annual_report"),
        path(
            "report/<str:period>/v<int:version>/",
            views_reports.annual_report,
            name="annual_report_version",
        ),
        path(
            "report/<str:period>/v<int:version>.pdf",
            views_reports.annual_report_pdf,
            name="annual_report_pdf",
        ),
    ],
    "insights",
)
