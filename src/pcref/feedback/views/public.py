"""The public feedback journey (standard and Easy Read) and the "You said, we did" page."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from pcref.core import queries as core_queries
from pcref.feedback import presenters, queries, services
from pcref.feedback.forms import ConfirmForm, use_easy_read
from pcref.feedback.journey import SENT_KEY, STEPS, STEPS_BY_SLUG, Journey
from pcref.feedback.models import new_reference


def client_address(request) -> str:
    """The sender's address, for the per-address limit. Behind a reverse proxy every request
    comes from the proxy, so the proxy's header names the sender (PCREF_CLIENT_ADDRESS_HEADER,
    docs/operations.md): its last value, the one our own proxy wrote."""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def _trust_or_404():
    trust = core_queries.public_trust()
    if trust is None:
        raise Http404("No trust is set up to receive feedback (PCREF_TRUST_ODS_CODE)")
    return trust


EASY_READ_TEMPLATES = "feedback/public/easy-read/"


@login_not_required
@require_safe
def start(request, easy_read=False):
    """The start page; the Easy Read start page (same view, easy_read=True) switches the steps
    that follow to Easy Read, and the standard one switches them back."""
    Journey(request.session).use_easy_read(easy_read)
    template = EASY_READ_TEMPLATES + "start.jinja" if easy_read else "feedback/public/start.jinja"
    return render(
        request, template, {"trust": core_queries.public_trust(), "first_step": STEPS[0].slug}
    )


def _start_url(journey):
    return reverse("feedback:easy_read_start" if journey.easy_read else "feedback:start")


def _form_kwargs(step, trust):
    if step.slug == "service":
        return {"organisation": trust}
    return {}


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def step(request, slug):
    trust = _trust_or_404()
    current = STEPS_BY_SLUG.get(slug)
    if current is None:
        raise Http404(slug)
    journey = Journey(request.session)
    if not journey.applies(current):
        return redirect("feedback:step", journey.next_slug(current) or "check")
    form_class = current.form_class
    initial = {name: journey.answers.get(name) for name in form_class.base_fields}
    form = form_class(
        request.POST if request.method == "POST" else None,
        initial=initial,
        **_form_kwargs(current, trust),
    )
    if journey.easy_read:
        use_easy_read(form, current.easy_read.asks)
    if request.method == "POST" and form.is_valid():
        if getattr(form, "is_spam", lambda: False)():
            journey.mark_spam()
        journey.save_step(form.cleaned_data)
        return _after_step(request, journey, current)
    previous = journey.previous_slug(current)
    context = {
        "form": form,
        "step": current,
        "step_number": STEPS.index(current) + 1,
        "step_count": len(STEPS),
        "back_href": reverse("feedback:step", args=[previous]) if previous else _start_url(journey),
    }
    if journey.easy_read:
        return render(request, EASY_READ_TEMPLATES + "step.jinja", context)
    return render(request, f"feedback/public/step-{current.slug}.jinja", context)


def _after_step(request, journey, current):
    """On to the next step; when changing an answer, back to the check page (the check page
    sends the person to any step their change now needs, such as contact details)."""
    next_slug = journey.next_slug(current)
    changing = bool(request.GET.get("change"))
    if next_slug is None or (changing and current.slug != "reply"):
        return redirect("feedback:check")
    if changing and journey.answers.get("wants_reply") != "yes":
        return redirect("feedback:check")
    url = reverse("feedback:step", args=[next_slug])
    return redirect(url + ("?change=1" if changing else ""))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def check(request):
    trust = _trust_or_404()
    journey = Journey(request.session)
    if request.method == "POST" and not journey.answers and request.session.get(SENT_KEY):
        # A second click on "Send", arriving after the first was stored: the confirmation
        # again, not the first question (which reads as if nothing was sent).
        return redirect("feedback:sent")
    missing = journey.first_unanswered()
    if missing:
        return redirect("feedback:step", missing)
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if form.is_spam() or journey.is_spam:
            journey.finish()  # programs get the same answer as people, and nothing is stored
            request.session[SENT_KEY] = new_reference()  # looks like any other: nothing to tell
            return redirect("feedback:sent")
        address = client_address(request)
        if services.over_rate_limit(address):
            return render(
                request, "feedback/public/rate-limited.jinja", {"trust": trust}, status=429
            )
        answers = queries.resolve_answers(journey.answers, trust)
        submission = services.receive_feedback(
            answers,
            organisation=trust,
            channel="online",
            interface_language=get_language(),
            easy_read=journey.easy_read,
            journey_token=journey.token,
            address=address,
        )
        journey.finish()
        request.session[SENT_KEY] = submission.reference
        return redirect("feedback:sent")
    answers = journey.answers
    resolved = queries.resolve_answers(answers, trust)
    team, partner = resolved["service_team"], resolved["partner_organisation"]
    rows = presenters.check_answers_rows(
        answers,
        organisation=trust,
        team_name=team.name if team else "",
        partner_name=partner.name if partner else "",
        easy_read=journey.easy_read,
    )
    return render(
        request,
        EASY_READ_TEMPLATES + "check.jinja" if journey.easy_read else "feedback/public/check.jinja",
        {"form": form, "rows": rows, "back_href": reverse("feedback:step", args=["about-you"])},
    )


@login_not_required
@require_safe
def sent(request):
    reference = request.session.get(SENT_KEY)
    journey = Journey(request.session)
    if not reference:
        return redirect(_start_url(journey))
    return render(
        request,
        EASY_READ_TEMPLATES + "sent.jinja" if journey.easy_read else "feedback/public/sent.jinja",
        {"reference": reference, "trust": core_queries.public_trust()},
    )


@login_not_required
@require_safe
def you_said_we_did(request):
    trust = core_queries.public_trust()
    filters = queries.PublicEntryFilter(request.GET, organisation=trust)
    entries = queries.published_entries(trust, filters.cleaned())
    context = {
        "trust": trust,
        "filters": filters,
        "entries": entries,
        "counts": queries.public_feedback_counts(trust),
    }
    return render(request, "feedback/public/you-said-we-did.jinja", context)
