"""Who may reach which address: every URL pattern of the project, against every role.

The table below is the reviewable statement of access. Each row is one URL name; each column
one role, always in this order:

    anon   nobody signed in
    offi   patient experience officer of the trust     (demo user `pxo`)
    anal   analyst of the trust                         (`analyst`)
    stee   steering group member of the trust           (`steering`)
    boar   board viewer of the trust                    (`board`)
    admi   administrator of the trust                   (`admin`)
    part   user of a partner organisation               (`partner`, African Heritage Alliance)
    othr   administrator of ANOTHER trust               (`nhft-admin`; it shares the
           "Together Against Racism" programme with the trust, so it sees shared plans)

and each cell the answer to a GET (for POST_ONLY rows: to a POST with no data):

    ok     allowed: 200, or a redirect to a page of the app (not to sign-in)
    sign   redirected to the sign-in page
    403    refused
    404    not found (the record belongs to an organisation the user cannot see)
    405    method not allowed

Records in the addresses are the demo trust's (Leicestershire Partnership, RT5): a feedback case
with contact details, a person on the involvement register, the delivery plan, and so on.

"ok" for a list page means the user's own organisation's list (another trust's administrator
sees its own staff, audit log and uploads, never this trust's).

Besides the table, the same walk checks that:
* every refused role's POST (no data) is refused as well and changes no row in the database;
* each POST-only address lets the roles the table allows through (rolled back afterwards);
* someone signed in with the password but not the second factor is sent to the second-factor
  page from every staff address (PASSWORD_ONLY lists the exceptions);
* people's emails and phone numbers (feedback replies, the involvement register, partner
  contacts) appear on no page, export or feed but the CONTACT_PAGES, and only for the roles
  listed there; their names only on NAME_PAGES;
* each look at contact details writes one audit entry a person shown, and a refusal none;
* no page links a role to an address the table refuses that role (a link to a 403 page).

The demo is loaded once (about 10 s), so everything is one test that collects every difference
and reports them together.
"""

import re
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

ROLES = ("anon", "offi", "anal", "stee", "boar", "admi", "part", "othr")
DEMO_USERNAMES = {
    "offi": "pxo",
    "anal": "analyst",
    "stee": "steering",
    "boar": "board",
    "admi": "admin",
    "part": "partner",
    "othr": "nhft-admin",
}

PUBLIC = "ok   ok   ok   ok   ok   ok   ok   ok"
STAFF_ANY = "sign ok   ok   ok   ok   ok   ok   ok"

# fmt: off
TABLE = {
    # Public pages (every language; the default language has no prefix) ---------------------
    #                                          anon offi anal stee boar admi part othr
    "core:home":                               PUBLIC,
    "core:about_pcref":                        PUBLIC,
    "core:accessibility":                      PUBLIC,
    "core:privacy":                            PUBLIC,
    "core:cookies":                            PUBLIC,
    "core:published_data":                     PUBLIC,
    "feedback:start":                          PUBLIC,
    "feedback:easy_read_start":                PUBLIC,
    "feedback:check":                          PUBLIC,  # redirects to the first step
    "feedback:sent":                           PUBLIC,  # redirects to the start
    "feedback:step":                           PUBLIC,
    "feedback:you_said_we_did":                PUBLIC,
    "feedback:you_said_we_did_feed":           PUBLIC,
    "insights:data":                           PUBLIC,
    "insights:data_csv":                       PUBLIC,
    "insights:data_json":                      PUBLIC,
    "insights:data_schema":                    PUBLIC,
    "insights:annual_report":                  PUBLIC,
    "insights:annual_report_version":          PUBLIC,
    "insights:annual_report_pdf":              PUBLIC,
    "involvement:start":                       PUBLIC,
    "involvement:sign_up":                     PUBLIC,
    "involvement:signed_up":                   PUBLIC,
    "involvement:withdraw":                    PUBLIC,  # GET only asks; the button withdraws
    "involvement:withdrawn":                   PUBLIC,
    "governance:our_plan":                     PUBLIC,
    "governance:resources":                    PUBLIC,

    # Signing in and one's own account ------------------------------------------------------
    #                                          anon offi anal stee boar admi part othr
    "core_staff:sign_in":                      PUBLIC,  # signed in: back to the staff home
    "core_staff:verify":                       STAFF_ANY,
    "core_staff:two_factor_setup":             STAFF_ANY,
    "core_staff:sign_out":                     STAFF_ANY,  # asks first; the button signs out
    "core_staff:staff_home":                   STAFF_ANY,
    "core_staff:account":                      STAFF_ANY,
    "core_staff:backup_codes":                 STAFF_ANY,

    # Organisations, services, staff accounts, audit log (core) ------------------------------
    #                                          anon offi anal stee boar admi part othr
    "core_staff:organisation_list":            STAFF_ANY,
    "core_staff:organisation_detail":          "sign ok   ok   ok   ok   ok   404  ok",
    "core_staff:organisation_edit":            "sign 403  403  403  403  ok   404  403",
    "core_staff:service_team_add":             "sign 403  403  403  403  ok   404  403",
    "core_staff:service_team_edit":            "sign 403  403  403  403  ok   404  404",
    "core_staff:staff_list":                   "sign 403  403  403  403  ok   403  ok",
    "core_staff:staff_add":                    "sign 403  403  403  403  ok   403  ok",
    "core_staff:staff_roles":                  "sign 403  403  403  403  ok   404  404",
    "core_staff:audit_log":                    "sign 403  403  403  403  ok   403  ok",

    # Feedback (staff) --------------------------------------------------------------------
    #                                          anon offi anal stee boar admi part othr
    "feedback_staff:inbox":                    "sign ok   403  403  403  403  ok   403",
    "feedback_staff:export":                   "sign ok   ok   403  403  403  403  403",
    "feedback_staff:submit":                   "sign ok   403  403  403  403  ok   403",
    "feedback_staff:case":                     "sign ok   403  403  403  403  404  404",
    "feedback_staff:contact":                  "sign ok   403  403  403  403  404  404",
    "feedback_staff:reply":                    "sign ok   403  403  403  403  404  404",
    "feedback_staff:you_said_we_did_new":      "sign ok   403  403  403  403  404  404",
    "feedback_staff:you_said_we_did_list":     "sign ok   403  403  403  403  403  403",
    "feedback_staff:you_said_we_did_review":   "sign ok   403  403  403  403  404  404",

    # Insights (staff) --------------------------------------------------------------------
    #                                          anon offi anal stee boar admi part othr
    "insights_staff:history":                  "sign 403  ok   403  403  ok   403  ok",
    "insights_staff:dashboard":                "sign 403  ok   ok   ok   ok   403  ok",
    "insights_staff:quality":                  "sign 403  ok   ok   ok   ok   403  ok",
    "insights_staff:experience":               "sign 403  ok   ok   ok   ok   403  ok",
    "insights_staff:metric":                   "sign 403  ok   ok   ok   ok   403  ok",
    "insights_staff:upload_new":               "sign 403  ok   403  403  ok   403  ok",
    "insights_staff:upload":                   "sign 403  ok   403  403  ok   404  404",
    "insights_staff:report":                   "sign 403  ok   403  403  ok   404  404",
    "insights_staff:report_csv":               "sign 403  ok   403  403  ok   404  404",
    "insights_staff:run":                      "sign 403  ok   403  403  ok   404  404",
    "insights_staff:results":                  "sign 403  ok   403  403  ok   404  404",
    "insights_staff:reports":                  "sign 403  ok   ok   ok   ok   403  ok",
    "insights_staff:report_new":               "sign 403  ok   403  403  ok   403  ok",
    "insights_staff:report_detail":            "sign 403  ok   ok   ok   ok   404  404",
    "insights_staff:report_file":              "sign 403  ok   ok   ok   ok   404  404",

    # Involvement register, partners, events, payments (staff) ------------------------------
    #                                          anon offi anal stee boar admi part othr
    "involvement_staff:register":              "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:person":                "sign ok   403  ok   403  ok   404  404",
    "involvement_staff:contact":               "sign ok   403  403  403  ok   404  404",
    "involvement_staff:withdraw":              "sign ok   403  403  403  ok   404  404",
    "involvement_staff:opportunities":         "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:opportunity_new":       "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:opportunity":           "sign ok   403  ok   403  ok   404  404",
    "involvement_staff:partners":              "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:partner":               "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:events":                "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:event_new":             "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:event":                 "sign ok   403  ok   403  ok   404  404",
    "involvement_staff:event_edit":            "sign ok   403  ok   403  ok   404  404",
    "involvement_staff:payments":              "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:payment_new":           "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:payments_csv":          "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:rates":                 "sign ok   403  ok   403  ok   403  ok",

    # Delivery plans, groups and meetings, evidence pack, resources (governance) ------------
    #                                          anon offi anal stee boar admi part othr
    "governance_staff:plans":                  "sign 403  ok   ok   ok   ok   403  ok",
    "governance_staff:plan_new":               "sign 403  403  ok   403  ok   403  ok",
    "governance_staff:plan":                   "sign 403  ok   ok   ok   ok   404  ok",
    "governance_staff:board":                  "sign 403  ok   ok   ok   ok   404  ok",
    "governance_staff:action_new":             "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:action":                 "sign 403  ok   ok   ok   ok   404  ok",
    "governance_staff:action_edit":            "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:progress_new":           "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:rag_override":           "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:milestone_new":          "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:measure_new":            "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:milestone_done":         "sign 403  403  ok   403  ok   404  ok",  # asks first
    "governance_staff:evidence_file":          "sign 403  ok   ok   ok   ok   404  ok",
    "governance_staff:evidence_file_remove":   "sign 403  403  ok   403  ok   404  ok",  # asks first
    "governance_staff:groups":                 "sign 403  ok   ok   ok   ok   403  ok",
    "governance_staff:group_new":              "sign 403  403  ok   403  ok   403  ok",
    "governance_staff:group":                  "sign 403  ok   ok   ok   ok   404  404",
    "governance_staff:member_new":             "sign 403  403  ok   403  ok   404  404",
    "governance_staff:member_edit":            "sign 403  403  ok   403  ok   404  404",
    "governance_staff:meeting_new":            "sign 403  403  ok   403  ok   404  404",
    "governance_staff:meeting_edit":           "sign 403  403  ok   403  ok   404  404",
    "governance_staff:meeting_remove":         "sign 403  403  ok   403  ok   404  404",  # asks first
    "governance_staff:meeting":                "sign 403  ok   ok   ok   ok   404  404",
    "governance_staff:paper_new":              "sign 403  403  ok   403  ok   404  404",
    "governance_staff:paper":                   "sign 403  ok   ok   ok   ok   404  404",
    "governance_staff:paper_remove":            "sign 403  403  ok   403  ok   404  404",  # asks first
    "governance_staff:attendance":             "sign 403  403  ok   403  ok   404  404",
    "governance_staff:minutes":                "sign 403  403  ok   403  ok   404  404",
    "governance_staff:decision_new":           "sign 403  403  ok   403  ok   404  404",
    "governance_staff:log_item_new":           "sign 403  403  ok   403  ok   404  404",
    "governance_staff:log_item_done":          "sign 403  403  ok   403  ok   404  404",  # asks first
    "governance_staff:evidence_pack":          "sign 403  ok   ok   ok   ok   403  ok",
    "governance_staff:evidence_pack_pdf":      "sign 403  ok   ok   ok   ok   403  ok",
    "governance_staff:evidence_pack_zip":      "sign 403  ok   ok   ok   ok   403  ok",
    "governance_staff:resources":              "sign 403  403  ok   403  ok   403  ok",
    "governance_staff:resource_new":           "sign 403  403  ok   403  ok   403  ok",
    "governance_staff:resource_edit":          "sign 403  403  ok   403  ok   404  404",
    "governance_staff:resource_remove":        "sign 403  403  ok   403  ok   404  404",  # asks first
}

# Addresses that only take a POST (a GET by anyone signed in is a 405). The cells are the answer
# to a POST with no data; an allowed POST is made inside a transaction that is rolled back.
POST_ONLY = {
    #                                          anon offi anal stee boar admi part othr
    "feedback_staff:triage":                   "sign ok   403  403  403  403  404  404",
    "feedback_staff:assign":                   "sign ok   403  403  403  403  404  404",
    "feedback_staff:status":                   "sign ok   403  403  403  403  404  404",
    "feedback_staff:add_action":               "sign ok   403  403  403  403  404  404",
    "feedback_staff:complete_action":          "sign ok   403  403  403  403  404  404",
    "insights_staff:rerun":                    "sign 403  ok   403  403  ok   404  404",
    "insights_staff:publish":                  "sign 403  ok   403  403  ok   404  404",
    "insights_staff:unpublish":                "sign 403  ok   403  403  ok   404  404",
    "insights_staff:report_publish":           "sign 403  ok   403  403  ok   404  404",
    "insights_staff:upload_restart":           "sign 403  ok   403  403  ok   404  404",
    "insights_staff:run_restart":              "sign 403  ok   403  403  ok   404  404",
    "insights_staff:report_restart":           "sign 403  ok   403  403  ok   404  404",
    "involvement_staff:match_status":          "sign ok   403  ok   403  ok   404  404",
    "involvement_staff:partner_contact_add":   "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:partner_contact_remove":
                                               "sign ok   403  ok   403  ok   403  404",
    "involvement_staff:partner_agreement_add": "sign ok   403  ok   403  ok   403  ok",
    "involvement_staff:payment_paid":          "sign ok   403  ok   403  ok   404  404",
    "governance_staff:plan_publish":           "sign 403  403  ok   403  ok   404  ok",
    "governance_staff:resource_move":          "sign 403  403  ok   403  ok   404  404",
    "governance_staff:resource_publish":       "sign 403  403  ok   403  ok   404  404",
}
# fmt: on

# Pages that show people's contact details (email, phone), the roles that may open them, and the
# audit action each look writes (one entry a person shown).
CONTACT_PAGES = {
    "feedback_staff:contact": ({"offi"}, "feedback.contact_details_viewed"),
    "involvement_staff:contact": ({"offi", "admi"}, "involvement.contact_details_viewed"),
    "involvement_staff:partner": ({"offi", "stee", "admi"}, "involvement.partner_contact_viewed"),
}
# People's names appear on those pages, and in the list to choose whom a payment is for (those
# who may see contact details; listing names is audited as involvement.names_listed).
NAME_PAGES = {name: roles for name, (roles, _) in CONTACT_PAGES.items()} | {
    "involvement_staff:payment_new": {"offi", "admi"},
}

# Downloads that take seconds to make: the matrix asks for them with a period that is not a
# date, which the view refuses (400) only after its permission check, so a 400 counts as "ok"
# for these; the steering group member then downloads each once in full.
QUICK_QUERY = {
    "governance_staff:evidence_pack_pdf": "?start=not-a-date",
    "governance_staff:evidence_pack_zip": "?start=not-a-date",
}
FULL_DOWNLOAD_BY = "stee"

# Signed in with the password but not yet the second factor, every address the table sends
# anonymous visitors to sign in for goes to the second-factor page instead, except these.
PASSWORD_ONLY = {
    "core_staff:verify": "ok",  # where the code is typed
    "core_staff:sign_out": "ok",  # one may always sign out
}

# A POST changes something, or signs out: never made by the matrix (the GET is checked).
NEVER_POSTED = {"core_staff:sign_out", "core_staff:sign_in", "core_staff:verify"}


def url_names() -> list[str]:
    """Every named URL pattern of the project, walking nested resolvers; the language-prefixed
    public pages are one resolver, so each appears once."""
    names = []

    def walk(patterns, namespaces):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = [*namespaces, pattern.namespace] if pattern.namespace else namespaces
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                names.append(":".join([*namespaces, pattern.name or f"<unnamed {pattern}>"]))

    walk(get_resolver().url_patterns, [])
    return names


def expected_table() -> dict[str, dict[str, str]]:
    table = {}
    for name, row in {**TABLE, **POST_ONLY}.items():
        cells = row.split()
        assert len(cells) == len(ROLES), f"{name}: {len(cells)} cells for {len(ROLES)} roles"
        table[name] = dict(zip(ROLES, cells, strict=True))
    return table


def test_the_table_covers_every_address_and_only_those():
    names = url_names()
    assert len(names) == len(set(names)), "a URL name is used twice"
    both = set(TABLE) & set(POST_ONLY)
    assert not both, f"in both TABLE and POST_ONLY: {sorted(both)}"
    missing = sorted(set(names) - set(TABLE) - set(POST_ONLY))
    assert not missing, (
        "These addresses have no row in the access table of tests/security/"
        f"test_access_matrix.py; add them to the table (who may reach each?): {missing}"
    )
    stale = sorted((set(TABLE) | set(POST_ONLY)) - set(names))
    assert not stale, f"The access table names addresses that no longer exist: {stale}"
    expected_table()  # every row has a cell for every role
    for row in expected_table().values():
        assert set(row.values()) <= {"ok", "sign", "403", "404", "405"}, row


# Addresses with arguments: filled from the demo's records ------------------------------------


def first(queryset, what):
    record = queryset.order_by("pk").first()
    assert record is not None, f"the demo has no {what} of the trust"
    return record


def address_arguments(trust) -> dict[str, dict]:
    """The arguments of each address with some: the trust's own records from the demo."""
    from pcref.analytics.metrics.catalogue import CATALOGUE
    from pcref.core.models import ServiceTeam, User
    from pcref.feedback import services as feedback_services
    from pcref.feedback.journey import STEPS
    from pcref.feedback.models import YouSaidWeDidEntry
    from pcref.governance.models import (
        DeliveryAction,
        DeliveryPlan,
        EvidenceFile,
        GovernanceGroup,
        GroupMember,
        LogItem,
        Meeting,
        MeetingPaper,
        Milestone,
        Resource,
    )
    from pcref.insights.models import ExtractUpload, MetricRun, Report
    from pcref.insights.reports.periods import period_slug
    from pcref.insights.reports.presenters import published_report
    from pcref.involvement import services as involvement_services
    from pcref.involvement.models import (
        EngagementEvent,
        InvolvementOpportunity,
        InvolvementPayment,
        InvolvementRegistration,
        OpportunityMatch,
        PartnerContact,
    )

    mine = {"organisation": trust}
    # The demo's feedback asks for no reply: one that does, sent straight to the trust (a
    # partner sees only what it submitted), with an action on it.
    officer = User.objects.get(username="pxo")
    case = feedback_services.receive_feedback(
        {
            "respondent_type": "patient",
            "text": "Nobody told me when my appointment was moved.",
            "wants_reply": True,
            "overall_experience": "poor",
            "ethnic_group": "white-british",
            "name": "Access Matrix",
            "email": "access.matrix@example.com",
            "phone": "0116 496 0999",
            "preferred_method": "email",
            "consent": True,
        },
        organisation=trust,
        channel="online",
        interface_language="en",
    )
    # And one a partner organisation sent on someone's behalf, asking for a reply.
    partner_user = User.objects.get(username="partner")
    partner_case = feedback_services.receive_feedback(
        {
            "respondent_type": "patient",
            "text": "The interpreter did not come.",
            "wants_reply": True,
            "overall_experience": "poor",
            "ethnic_group": "black-african",
            "name": "Partner Matrix",
            "email": "partner.matrix@example.com",
            "phone": "0116 496 0998",
            "preferred_method": "partner",
            "partner_organisation": partner_user.organisation,
            "consent": True,
        },
        organisation=trust,
        channel="partner",
        interface_language="en",
        by=partner_user,
        submitted_via=partner_user.organisation,
    )
    action = feedback_services.add_action(
        case,
        description="Check how appointment changes are told.",
        owner=officer,
        due_date=date(2027, 1, 31),
        by=officer,
    )
    person = first(
        InvolvementRegistration.objects.filter(**mine, status="active").exclude(email=""),
        "person on the register with an email",
    )
    _, token = involvement_services.sign_up(
        {"name": "Access Matrix", "interests": ["events"], "consent": True},
        organisation=trust,
        interface_language="en",
    )
    plan = first(DeliveryPlan.objects.filter(**mine), "delivery plan")
    delivery_action = first(DeliveryAction.objects.filter(workstream__plan=plan), "action")
    # The steering group: the trust's own, not shared with the programme (pillar groups are).
    group = first(GovernanceGroup.objects.filter(**mine, programme=None), "unshared group")
    meeting = first(
        Meeting.objects.filter(group=group, papers__isnull=False), "meeting with papers"
    )
    resource = first(Resource.objects.filter(**mine), "resource")
    upload = first(ExtractUpload.objects.filter(**mine), "upload")
    run = first(MetricRun.objects.filter(**mine, status="done"), "finished metric run")
    report = first(Report.objects.filter(**mine, status="done"), "finished report")
    public_report = published_report(trust)
    assert public_report is not None, "the demo has no published annual report"
    contact = first(PartnerContact.objects.filter(**mine), "partner contact")
    event = first(EngagementEvent.objects.filter(**mine), "event")

    arguments = {
        "feedback:step": {"slug": STEPS[0].slug},
        "feedback_staff:export": {"file_format": "csv"},
        "feedback_staff:complete_action": {"pk": action.submission_id, "action_pk": action.pk},
        "feedback_staff:you_said_we_did_review": {
            "pk": first(YouSaidWeDidEntry.objects.filter(**mine), "you said, we did entry").pk
        },
        "insights:annual_report_version": {
            "period": period_slug(public_report.period),
            "version": public_report.version,
        },
        "insights_staff:metric": {"metric": next(iter(CATALOGUE))},
        "insights_staff:results": {"pk": run.pk, "file_format": "csv"},
        "insights_staff:report_file": {"pk": report.pk, "file_format": "pdf"},
        "involvement:withdraw": {"token": token},
        "involvement_staff:match_status": {
            "pk": first(
                OpportunityMatch.objects.filter(opportunity__organisation=trust), "match"
            ).pk
        },
        "involvement_staff:opportunity": {
            "pk": first(InvolvementOpportunity.objects.filter(**mine), "opportunity").pk
        },
        "involvement_staff:partner_contact_remove": {
            "pk": contact.partner_id,
            "contact_pk": contact.pk,
        },
        "involvement_staff:payment_paid": {
            "pk": first(InvolvementPayment.objects.filter(**mine), "payment").pk
        },
        "governance_staff:milestone_done": {
            "pk": first(Milestone.objects.filter(action__workstream__plan=plan), "milestone").pk
        },
        "governance_staff:evidence_file": {
            "pk": first(
                EvidenceFile.objects.filter(update__action__workstream__plan=plan), "evidence file"
            ).pk
        },
        "governance_staff:evidence_file_remove": {
            "pk": first(
                EvidenceFile.objects.filter(update__action__workstream__plan=plan), "evidence file"
            ).pk
        },
        "governance_staff:member_edit": {
            "pk": first(GroupMember.objects.filter(group=group), "member").pk
        },
        "governance_staff:paper": {
            "pk": first(MeetingPaper.objects.filter(meeting__group=group), "paper").pk
        },
        "governance_staff:paper_remove": {
            "pk": first(MeetingPaper.objects.filter(meeting__group=group), "paper").pk
        },
        "governance_staff:log_item_done": {
            "pk": first(LogItem.objects.filter(meeting__group=group), "log item").pk
        },
        "core_staff:service_team_edit": {
            "pk": first(ServiceTeam.objects.filter(**mine), "service team").pk
        },
        "core_staff:staff_roles": {"pk": User.objects.get(username="pxo").pk},
    }
    arguments["partner's feedback"] = {"pk": partner_case.pk}  # not an address name
    arguments["insights:annual_report_pdf"] = arguments["insights:annual_report_version"]
    same_record = {
        case.pk: [
            "case",
            "triage",
            "assign",
            "status",
            "add_action",
            "contact",
            "reply",
            "you_said_we_did_new",
        ],
        person.pk: ["person", "contact", "withdraw"],
        contact.partner_id: ["partner", "partner_contact_add", "partner_agreement_add"],
        event.pk: ["event", "event_edit"],
        upload.pk: ["upload", "report", "report_csv", "upload_restart"],
        run.pk: ["run", "rerun", "publish", "unpublish", "run_restart"],
        report.pk: ["report_detail", "report_publish", "report_restart"],
        plan.pk: ["plan", "board", "plan_publish", "action_new"],
        delivery_action.pk: [
            "action",
            "action_edit",
            "progress_new",
            "rag_override",
            "milestone_new",
            "measure_new",
        ],
        group.pk: ["group", "member_new", "meeting_new"],
        meeting.pk: [
            "meeting",
            "meeting_edit",
            "meeting_remove",
            "paper_new",
            "attendance",
            "minutes",
            "decision_new",
            "log_item_new",
        ],
        resource.pk: ["resource_edit", "resource_remove", "resource_move", "resource_publish"],
        trust.pk: ["organisation_detail", "organisation_edit", "service_team_add"],
    }
    namespaces = {
        "case": "feedback_staff",
        "person": "involvement_staff",
        "partner": "involvement_staff",
        "event": "involvement_staff",
        "upload": "insights_staff",
        "run": "insights_staff",
        "report_detail": "insights_staff",
        "plan": "governance_staff",
        "action": "governance_staff",
        "group": "governance_staff",
        "meeting": "governance_staff",
        "resource_edit": "governance_staff",
        "organisation_detail": "core_staff",
    }
    for pk, names in same_record.items():
        namespace = namespaces[names[0]]
        for name in names:
            arguments[f"{namespace}:{name}"] = {"pk": pk}
    return arguments


# Asking every address as every role ----------------------------------------------------------


def signed_in_client(username: str) -> Client:
    """A client signed in as the demo user, second factor verified (as tests/conftest.py)."""
    from pcref.core.models import User

    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session.save()
    return client


def outcome(response) -> str:
    """The table's word for a response."""
    status = response.status_code
    if status in (301, 302, 303):
        location = response["Location"]
        # The second factor's page is below the sign-in page's address: ask about it first.
        if location.startswith(reverse("core_staff:verify")):
            return "second factor"
        if location.startswith(reverse("core_staff:sign_in")):
            return "sign"
        return "ok"
    if 200 <= status < 300:
        return "ok"
    return str(status)


def body_text(response) -> str:
    """The response's text, when it is text (pages, CSV, JSON); empty for PDFs and archives."""
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json", "application/rss")):
        if getattr(response, "streaming", False):
            response.close()
        return ""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
        response.close()
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def refused_links(text: str, table: dict, role: str) -> list[str]:
    """The page's links to addresses the table refuses the same role (403): a link should
    lead somewhere the reader may go."""
    from django.urls import Resolver404, resolve

    refused = []
    for href in sorted(set(re.findall(r'<a [^>]*href="(/[^"#?]*)', text))):
        try:
            match = resolve(href)
        except Resolver404:
            continue
        if table.get(match.view_name, {}).get(role) == "403":
            refused.append(f"{href} ({match.view_name}), which refuses {role}")
    return refused


def one_pattern(values: set[str]) -> re.Pattern:
    return re.compile("|".join(re.escape(value) for value in sorted(values, key=len, reverse=True)))


def personal_details(trust) -> tuple[re.Pattern, re.Pattern]:
    """People's emails and phone numbers the trust keeps, and their names, as two patterns."""
    from pcref.feedback.models import ContactDetails
    from pcref.involvement.models import InvolvementRegistration, PartnerContact

    contacts, names = set(), set()
    for model, scope in (
        (ContactDetails, {"submission__organisation": trust}),
        (InvolvementRegistration, {"organisation": trust}),
        (PartnerContact, {"organisation": trust}),
    ):
        for name, email, phone in model.objects.filter(**scope).values_list(
            "name", "email", "phone"
        ):
            contacts |= {value for value in (email, phone) if value}
            names |= {name} if name else set()
    assert len(contacts) >= 5, f"the demo keeps too few contact details to check: {contacts}"
    return one_pattern(contacts), one_pattern(names)


def audit_count(**filters) -> int:
    from pcref.core.models import AuditEntry

    return AuditEntry.objects.filter(**filters).count()


def row_counts() -> dict[str, int]:
    from django.apps import apps

    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# Transactional: on PostgreSQL a request's end closes a connection still inside a test's
# atomic block, and the demo's insights and downloads end many requests.
@pytest.mark.django_db(transaction=True)
def test_every_address_answers_every_role_as_the_table_says():
    from django.db import transaction

    from pcref.core.models import Organisation, User
    from pcref.demo import load_everything
    from pcref.involvement.models import PartnerContact

    load_everything(insights=True)
    trust = Organisation.objects.get(ods_code="RT5")
    arguments = address_arguments(trust)
    table = expected_table()
    clients = {"anon": Client()} | {
        role: signed_in_client(username) for role, username in DEMO_USERNAMES.items()
    }
    users = {role: User.objects.get(username=name) for role, name in DEMO_USERNAMES.items()}
    contacts, names = personal_details(trust)
    looks_wanted = {
        "feedback_staff:contact": 1,
        "involvement_staff:contact": 1,
        "involvement_staff:partner": PartnerContact.objects.filter(
            organisation=trust, partner_id=arguments["involvement_staff:partner"]["pk"]
        ).count(),
    }
    failures = []
    paths = {}
    for name in url_names():
        if name not in table:
            failures.append(f"{name}: no row in the access table; add it to the table")
            continue
        try:
            paths[name] = reverse(name, kwargs=arguments.get(name))
        except Exception as error:  # noqa: BLE001 - reported with the others
            failures.append(f"{name}: cannot make its address ({error}); add its arguments")

    def ask(method, name, role, query=""):
        try:
            return getattr(clients[role], method)(paths[name] + query)
        except Exception as error:  # noqa: BLE001 - reported with the others
            failures.append(f"{method.upper()} {paths[name]} as {role}: raised {error!r}")
            return None

    # GET: every address, every role.
    for name, path in paths.items():
        for role in ROLES:
            expected = table[name][role]
            if name in POST_ONLY:
                expected = "sign" if role == "anon" else "405"
            audit_action = CONTACT_PAGES.get(name, (set(), None))[1]
            if audit_action:
                # Looks at the trust's records (another trust's admin may look at its own).
                mine_looked_at = {
                    "action": audit_action,
                    "actor": users.get(role),
                    "organisation_id": trust.pk,
                }
                looks_before = audit_count(**mine_looked_at)
            response = ask("get", name, role, QUICK_QUERY.get(name, ""))
            if response is None:
                continue
            got = outcome(response)
            if name in QUICK_QUERY and response.status_code == 400:
                got = "ok"
            if got != expected:
                failures.append(f"GET {path} ({name}) as {role}: {got}, table says {expected}")
            text = body_text(response) if got == "ok" else ""
            may_see = role in CONTACT_PAGES.get(name, (set(), None))[0]
            found = contacts.search(text)
            if found and not may_see:
                failures.append(
                    f"GET {path} ({name}) as {role} shows contact details ({found.group()})"
                )
            if may_see and got == "ok" and not found:
                failures.append(f"GET {path} ({name}) as {role} shows no contact details")
            found = names.search(text)
            if found and role not in NAME_PAGES.get(name, ()):
                failures.append(f"GET {path} ({name}) as {role} shows a person's name")
            for target in refused_links(text, table, role):
                failures.append(f"GET {path} ({name}) as {role} links to {target}")
            if audit_action:
                looks = audit_count(**mine_looked_at) - looks_before
                wanted = looks_wanted[name] if may_see and got == "ok" else 0
                if looks != wanted:
                    failures.append(
                        f"GET {path} ({name}) as {role}: {looks} '{audit_action}' audit "
                        f"entries, not {wanted}"
                    )

    # Feedback the partner organisation sent on someone's behalf: its users see the case (and
    # it is in their inbox), never the person's contact details.
    for name, wanted in (("feedback_staff:case", "ok"), ("feedback_staff:contact", "403")):
        path = reverse(name, kwargs=arguments["partner's feedback"])
        response = clients["part"].get(path)
        text = body_text(response) if outcome(response) == "ok" else ""
        if outcome(response) != wanted or contacts.search(text) or names.search(text):
            failures.append(
                f"GET {path} ({name}) as part, the partner's own feedback: "
                f"{outcome(response)}, not {wanted}, or shows contact details"
            )

    # Password only, no second factor yet.
    clients["password only"] = Client()
    clients["password only"].force_login(users["offi"])
    for name, path in paths.items():
        if table[name]["anon"] != "sign":
            continue
        response = ask("get", name, "password only")
        wanted = PASSWORD_ONLY.get(name, "second factor")
        if response is not None and outcome(response) != wanted:
            failures.append(
                f"GET {path} ({name}) with the password only: {outcome(response)}, not {wanted}"
            )

    for name in QUICK_QUERY:
        response = ask("get", name, FULL_DOWNLOAD_BY)
        if response is not None and (response.status_code, table[name][FULL_DOWNLOAD_BY]) != (
            200,
            "ok",
        ):
            failures.append(f"GET {paths[name]} ({name}) in full: {response.status_code}")

    # POST with no data by every role the table refuses: refused the same way (or 405 where
    # the address only answers GET), and nothing in the database changes.
    counts_before = row_counts()
    for name, path in paths.items():
        if name in NEVER_POSTED:
            continue
        for role in ROLES:
            expected = table[name][role]
            if expected == "ok":
                continue
            audit_before = audit_count()
            response = ask("post", name, role)
            if response is None:
                continue
            got = outcome(response)
            allowed = {expected} if name in POST_ONLY else {expected, "405"}
            if got not in allowed:
                failures.append(f"POST {path} ({name}) as {role}: {got}, table says {expected}")
            if audit_count() != audit_before:
                failures.append(f"POST {path} ({name}) as {role}: refused, yet audited a change")
    changed = {
        label: (count, row_counts_after)
        for (label, count), row_counts_after in zip(
            counts_before.items(), row_counts().values(), strict=True
        )
        if count != row_counts_after
    }
    if changed:
        failures.append(f"refused POSTs changed the number of rows: {changed}")

    # POST-only addresses, by the roles the table allows: let through (each rolled back).
    for name in POST_ONLY:
        if name not in paths:
            continue
        for role in ROLES:
            if table[name][role] != "ok":
                continue
            with transaction.atomic():
                response = ask("post", name, role)
                transaction.set_rollback(True)
            if response is None:
                continue
            got = outcome(response)
            if got != "ok" and response.status_code != 400:
                failures.append(f"POST {paths[name]} ({name}) as {role}: {got}, table says ok")

    assert not failures, f"{len(failures)} answers differ from the access table:\n" + "\n".join(
        failures
    )
