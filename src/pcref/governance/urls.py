"""Governance addresses: the public plan page (every language), staff pages for delivery plans
and the board view."""

from django.urls import path

from pcref.governance.views import public, staff
from pcref.governance.views import resources as resource_views

public_urlpatterns = (
    [
        path("our-plan/", public.our_plan, name="our_plan"),
        path("resources/", resource_views.public_resources, name="resources"),
    ],
    "governance",
)

staff_urlpatterns = (
    [
        path("", staff.plans, name="plans"),
        path("plans/new/", staff.plan_new, name="plan_new"),
        path("plans/<uuid:pk>/", staff.plan, name="plan"),
        path("plans/<uuid:pk>/board/", staff.board, name="board"),
        path("plans/<uuid:pk>/publish/", staff.plan_publish, name="plan_publish"),
        path("plans/<uuid:pk>/actions/new/", staff.action_new, name="action_new"),
        path("actions/<uuid:pk>/", staff.action, name="action"),
        path("actions/<uuid:pk>/edit/", staff.action_edit, name="action_edit"),
        path("actions/<uuid:pk>/progress/", staff.progress_new, name="progress_new"),
        path("actions/<uuid:pk>/rag/", staff.rag_override, name="rag_override"),
        path("resources/", resource_views.resources, name="resources"),
        path("resources/new/", resource_views.resource_new, name="resource_new"),
        path("resources/<uuid:pk>/", resource_views.resource_edit, name="resource_edit"),
        path("resources/<uuid:pk>/remove/", resource_views.resource_remove, name="resource_remove"),
        path("resources/<uuid:pk>/move/", resource_views.resource_move, name="resource_move"),
        path(
            "resources/<uuid:pk>/publish/",
            resource_views.resource_publish,
            name="resource_publish",
        ),
    ],
    "governance_staff",
)
