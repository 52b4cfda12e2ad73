"""Staff pages for feedback: inbox, a case, triage, follow-up, replies, publishing, exports."""

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from pcref.analytics.text.safe_export import write_csv, write_xlsx
from pcref.core import queries as core_queries
from pcref.core.forms import call_service
from pcref.core.permissions import require_perm
from pcref.feedback import presenters, queries, services
from pcref.feedback.forms import (
    ActionForm,
    AssignForm,
    InboxFilterForm,
    PartnerFeedbackForm,
    ReplyMessageForm,
    StatusForm,
    TriageForm,
    YouSaidWeDidDraftForm,
    YouSaidWeDidForm,
)
from pcref.feedback.models import FeedbackAction, FeedbackSubmission, YouSaidWeDidEntry
from pcref.feedback.rules import Perm


def _submission(request, pk) -> FeedbackSubmission:
    submission = get_object_or_404(FeedbackSubmission.objects.visible_to(request.user), pk=pk)
    require_perm(request, Perm.VIEW_FEEDBACK, submission)
    return submission


def _inbox_filter(request):
    languages = (
        FeedbackSubmission.objects.visible_to(request.user)
        .exclude(text_language="")
        .values_list("text_language", flat=True)
        .distinct()
        .order_by("text_language")
    )
    form = InboxFilterForm(
        request.GET or None,
        organisation_id=request.user.organisation_id,
        language_codes=list(languages),
    )
    criteria = form.cleaned_data if form.is_bound and form.is_valid() else {}
    return form, criteria


@require_safe
def inbox(request):
    require_perm(request, Perm.VIEW_FEEDBACK, None)
    form, criteria = _inbox_filter(request)
    submissions = queries.inbox(FeedbackSubmission.objects.visible_to(request.user), criteria)
    page = Paginator(submissions, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": [presenters.InboxRow(submission) for submission in page],
        "query": query.urlencode(),
        "can_export": request.user.has_perm(Perm.EXPORT_FEEDBACK, None),
        "can_submit": request.user.has_perm(Perm.SUBMIT_ON_BEHALF, None),
        "can_publish": request.user.has_perm(Perm.PUBLISH_YOU_SAID_WE_DID, None),
    }
    return render(request, "feedback/staff/inbox.jinja", context)


@require_safe
def export(request, file_format):
    require_perm(request, Perm.EXPORT_FEEDBACK, None)
    if file_format not in ("csv", "xlsx"):
        raise PermissionDenied
    _form, criteria = _inbox_filter(request)
    scoped = FeedbackSubmission.objects.visible_to(request.user)
    rows = queries.export_rows(queries.inbox(scoped, criteria))
    services.record_export(
        by=request.user,
        organisation_id=request.user.organisation_id,
        file_format=file_format,
        criteria=criteria,
        rows=len(rows),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if file_format == "csv":
        buffer = io.StringIO()
        write_csv(rows, queries.EXPORT_HEADER, buffer)
        response = HttpResponse(
            buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
        )
    else:
        buffer = io.BytesIO()
        write_xlsx(rows, queries.EXPORT_HEADER, buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.{file_format}"'
    return response


def _case_context(request, submission, **forms):
    organisation_id = submission.organisation_id
    can_handle = request.user.has_perm(Perm.HANDLE_FEEDBACK, submission)
    suggested = {s.theme.key for s in submission.theme_suggestions.select_related("theme")}
    confirmed = submission.confirmed_theme_keys()
    context = {
        "submission": submission,
        "can_handle": can_handle,
        "can_see_contact": request.user.has_perm(Perm.VIEW_CONTACT_DETAILS, submission),
        "can_publish": request.user.has_perm(Perm.PUBLISH_YOU_SAID_WE_DID, submission),
        "suggestions": list(submission.theme_suggestions.select_related("theme")),
        "actions": list(submission.actions.select_related("owner")),
        "replies": list(submission.replies.select_related("sent_by")),
        "status_class": presenters.STATUS_TAG_CLASSES[submission.status],
        "has_contact": hasattr(submission, "contact_details"),
    }
    if can_handle:
        context["triage_form"] = forms.get("triage_form") or TriageForm(
            initial={
                "themes": confirmed or sorted(suggested),
                "sentiment": submission.sentiment or submission.suggested_sentiment,
                "safeguarding": submission.safeguarding,
                "formal_complaint": submission.formal_complaint,
                "version": submission.version,
            },
            prefix="triage",
        )
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            initial={
                "assigned_team": str(submission.assigned_team_id or ""),
                "owner": str(submission.owner_id or ""),
                "version": submission.version,
            },
            organisation_id=organisation_id,
            prefix="assign",
        )
        context["status_form"] = forms.get("status_form") or StatusForm(
            initial={"status": submission.status, "version": submission.version}, prefix="status"
        )
        context["action_form"] = forms.get("action_form") or ActionForm(
            organisation_id=organisation_id, prefix="action"
        )
        context["suggested_keys"] = suggested
    return context


@require_safe
def case(request, pk):
    submission = _submission(request, pk)
    return render(request, "feedback/staff/case.jinja", _case_context(request, submission))


def _case_post(request, pk, form_factory, act, success):
    submission = _submission(request, pk)
    require_perm(request, Perm.HANDLE_FEEDBACK, submission)
    form = form_factory(request, submission)
    if form.is_valid():
        if call_service(form, lambda: act(submission, form.cleaned_data), by=request.user):
            messages.success(request, success % {"ref": submission.reference})
            return redirect("feedback_staff:case", pk=submission.pk)
    key = {
        TriageForm: "triage_form",
        AssignForm: "assign_form",
        StatusForm: "status_form",
        ActionForm: "action_form",
    }[type(form)]
    context = _case_context(request, submission, **{key: form})
    context["form"] = form
    return render(request, "feedback/staff/case.jinja", context, status=400)


@require_POST
def triage(request, pk):
    return _case_post(
        request,
        pk,
        lambda r, s: TriageForm(r.POST, prefix="triage"),
        lambda s, data: services.confirm_triage(s, data, by=request.user, version=data["version"]),
        _("Triage saved for %(ref)s."),
    )


@require_POST
def assign(request, pk):
    return _case_post(
        request,
        pk,
        lambda r, s: AssignForm(r.POST, organisation_id=s.organisation_id, prefix="assign"),
        lambda s, data: services.assign(
            s,
            team=data["assigned_team"],
            owner=data["owner"],
            by=request.user,
            version=data["version"],
        ),
        _("%(ref)s assigned."),
    )


@require_POST
def change_status(request, pk):
    return _case_post(
        request,
        pk,
        lambda r, s: StatusForm(r.POST, prefix="status"),
        lambda s, data: services.set_status(
            s, data["status"], by=request.user, version=data["version"]
        ),
        _("Status of %(ref)s changed."),
    )


@require_POST
def add_action(request, pk):
    return _case_post(
        request,
        pk,
        lambda r, s: ActionForm(r.POST, organisation_id=s.organisation_id, prefix="action"),
        lambda s, data: services.add_action(
            s,
            description=data["description"],
            owner=data["owner"],
            due_date=data["due_date"],
            by=request.user,
        ),
        _("Action added to %(ref)s."),
    )


@require_POST
def complete_action(request, pk, action_pk):
    submission = _submission(request, pk)
    require_perm(request, Perm.HANDLE_FEEDBACK, submission)
    action = get_object_or_404(FeedbackAction, pk=action_pk, submission=submission)
    services.complete_action(action, by=request.user)
    messages.success(request, _("Action marked as done."))
    return redirect("feedback_staff:case", pk=submission.pk)


@require_safe
def contact(request, pk):
    """Contact details on a page of their own, so the audit log records real looks."""
    submission = _submission(request, pk)
    details = services.contact_details(submission, viewer=request.user)
    return render(
        request, "feedback/staff/contact.jinja", {"submission": submission, "details": details}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def reply(request, pk):
    submission = _submission(request, pk)
    require_perm(request, Perm.HANDLE_FEEDBACK, submission)
    form = ReplyMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = form.cleaned_data["body"]
        if call_service(
            form,
            lambda: services.send_reply(submission, body=body, by=request.user),
            by=request.user,
        ):
            messages.success(
                request, _("Reply recorded for %(ref)s.") % {"ref": submission.reference}
            )
            return redirect("feedback_staff:case", pk=submission.pk)
    context = {"submission": submission, "form": form}
    return render(
        request, "feedback/staff/reply.jinja", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "HEAD", "POST"])
def you_said_we_did_new(request, pk):
    submission = _submission(request, pk)
    require_perm(request, Perm.PUBLISH_YOU_SAID_WE_DID, submission)
    confirmed = submission.confirmed_theme_keys()
    form = YouSaidWeDidDraftForm(
        request.POST or None,
        initial={
            "you_said": services.suggested_summary([submission]),
            "theme": confirmed[0] if confirmed else "",
            "service_team": str(submission.service_team_id or ""),
        },
        organisation_id=submission.organisation_id,
    )
    if request.method == "POST" and form.is_valid():
        saved = {}

        def draft():
            data = {k: v for k, v in form.cleaned_data.items() if k != "once"}
            saved["entry"] = services.draft_you_said_we_did(
                organisation=submission.organisation,
                submissions=[submission],
                **data,  # theme, service_team, you_said, we_did
                by=request.user,
            )

        if call_service(form, draft, by=request.user):
            return redirect("feedback_staff:you_said_we_did_review", pk=saved["entry"].pk)
    return render(
        request,
        "feedback/staff/you-said-we-did-form.jinja",
        {"submission": submission, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def you_said_we_did_review(request, pk):
    """Check an entry, then publish it; or change or delete it while unpublished (the check may
    find personal details), or withdraw it once published."""
    entry = get_object_or_404(YouSaidWeDidEntry.objects.visible_to(request.user), pk=pk)
    if not request.user.has_perm(Perm.PUBLISH_YOU_SAID_WE_DID, entry.submissions.first()):
        raise PermissionDenied
    action = request.POST.get("action", "publish") if request.method == "POST" else None
    form = None
    if entry.status != YouSaidWeDidEntry.Status.PUBLISHED:
        form = YouSaidWeDidForm(
            request.POST if action == "save" else None,
            initial={
                "theme": entry.theme.key,
                "service_team": str(entry.service_team_id or ""),
                "you_said": entry.you_said,
                "we_did": entry.we_did,
            },
            organisation_id=entry.organisation_id,
        )
    error = None
    if action is not None:
        done = _change_entry(request, entry, action, form)
        if isinstance(done, HttpResponse):
            return done
        error = done
    found = services.personal_details_in(entry.you_said, entry.we_did)
    context = {"entry": entry, "found": found, "error": error, "form": form}
    return render(
        request,
        "feedback/staff/you-said-we-did-review.jinja",
        context,
        status=400 if error or (form is not None and form.errors) else 200,
    )


def _change_entry(request, entry, action: str, form) -> HttpResponse | str | None:
    """Carry out the review page's action: a redirect when done, else the error to show."""
    listing = redirect("feedback_staff:you_said_we_did_list")
    try:
        if action == "save":
            if form is None or not form.is_valid():
                return None  # the form shows its errors
            services.edit_you_said_we_did(entry, **form.cleaned_data, by=request.user)
            return redirect("feedback_staff:you_said_we_did_review", pk=entry.pk)
        if action == "delete":
            services.delete_you_said_we_did(entry, by=request.user)
            messages.success(request, _("Draft deleted."))
            return listing
        if action == "withdraw":
            services.withdraw_you_said_we_did(entry, by=request.user)
            messages.success(request, _("Withdrawn from the public page."))
            return listing
        services.publish_you_said_we_did(entry, by=request.user)
    except ValidationError as problem:
        return " ".join(problem.messages)
    messages.success(request, _('Published on the "You said, we did" page.'))
    return listing


@require_safe
def you_said_we_did_list(request):
    require_perm(request, Perm.PUBLISH_YOU_SAID_WE_DID, None)
    entries = YouSaidWeDidEntry.objects.visible_to(request.user).select_related(
        "theme", "service_team"
    )
    return render(request, "feedback/staff/you-said-we-did-list.jinja", {"entries": entries})


@require_http_methods(["GET", "HEAD", "POST"])
def submit_on_behalf(request):
    """A partner organisation records feedback for someone, or from a listening event."""
    require_perm(request, Perm.SUBMIT_ON_BEHALF, None)
    trust = core_queries.public_trust()
    form = PartnerFeedbackForm(request.POST or None, organisation=trust)
    if request.method == "POST" and form.is_valid() and not form.is_spam():
        data = dict(form.cleaned_data)
        data["service_team"] = trust.service_teams.filter(
            pk=data.get("service_team") or None
        ).first()
        submission = services.receive_feedback(
            data,
            organisation=trust,
            channel=data["channel"],
            interface_language=request.LANGUAGE_CODE,
            by=request.user,
            submitted_via=request.user.organisation if request.user.is_partner_user else None,
        )
        messages.success(
            request, _("Feedback recorded with reference %(ref)s.") % {"ref": submission.reference}
        )
        return redirect("feedback_staff:inbox")
    return render(request, "feedback/staff/submit.jinja", {"form": form})
