"""Governance addresses: the public plan page (every language), staff pages for delivery plans
and the board view."""

from django.urls import path

from pcref.governance.views import evidence as evidence_views
from pcref.governance.views import meetings as meeting_views
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
        path("actions/<uuid:pk>/milestones/new/", staff.milestone_new, name="milestone_new"),
        path("milestones/<uuid:pk>/done/", staff.milestone_done, name="milestone_done"),
        path("actions/<uuid:pk>/measures/new/", staff.measure_new, name="measure_new"),
        path("evidence/<uuid:pk>/", staff.evidence_file, name="evidence_file"),
        path("evidence/<uuid:pk>/remove/", staff.evidence_file_remove, name="evidence_file_remove"),
        path("groups/", meeting_views.groups, name="groups"),
        path("groups/new/", meeting_views.group_new, name="group_new"),
        path("groups/<uuid:pk>/", meeting_views.group, name="group"),
        path("groups/<uuid:pk>/members/new/", meeting_views.member_new, name="member_new"),
        path("members/<uuid:pk>/", meeting_views.member_edit, name="member_edit"),
        path("groups/<uuid:pk>/meetings/new/", meeting_views.meeting_new, name="meeting_new"),
        path("meetings/<uuid:pk>/", meeting_views.meeting, name="meeting"),
        path("meetings/<uuid:pk>/change/", meeting_views.meeting_edit, name="meeting_edit"),
        path("meetings/<uuid:pk>/remove/", meeting_views.meeting_remove, name="meeting_remove"),
        path("meetings/<uuid:pk>/papers/new/", meeting_views.paper_new, name="paper_new"),
        path("papers/<uuid:pk>/", meeting_views.paper, name="paper"),
        path("papers/<uuid:pk>/remove/", meeting_views.paper_remove, name="paper_remove"),
        path("meetings/<uuid:pk>/attendance/", meeting_views.attendance, name="attendance"),
        path("meetings/<uuid:pk>/minutes/", meeting_views.minutes, name="minutes"),
        path("meetings/<uuid:pk>/decisions/new/", meeting_views.decision_new, name="decision_new"),
        path("meetings/<uuid:pk>/log/new/", meeting_views.log_item_new, name="log_item_new"),
        path("log/<uuid:pk>/done/", meeting_views.log_item_done, name="log_item_done"),
        path("evidence-pack/", evidence_views.evidence_pack_page, name="evidence_pack"),
        path(
            "evidence-pack/evidence-pack.pdf",
            evidence_views.evidence_pack_pdf,
            name="evidence_pack_pdf",
        ),
        path(
            "evidence-pack/evidence-pack.zip",
            evidence_views.evidence_pack_zip,
            name="evidence_pack_zip",
        ),
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
