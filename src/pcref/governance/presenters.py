"""View models for governance pages: RAG tags, action rows, roll-ups by workstream and component."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pcref.core.presenters import date_only
from pcref.governance.models import (
    RAG,
    Competency,
    DeliveryAction,
    DeliveryPlan,
    PCREFComponent,
)
from pcref.governance.rag import compute_rag

RAG_TAG_CLASSES = {
    RAG.BLUE: "nhsuk-tag--blue",
    RAG.GREEN: "nhsuk-tag--green",
    RAG.AMBER: "nhsuk-tag--yellow",
    RAG.RED: "nhsuk-tag--red",
}
RAG_ORDER = [RAG.RED, RAG.AMBER, RAG.GREEN, RAG.BLUE]


def rag_tag(rag: RAG) -> dict:
    return {"text": str(RAG(rag).label), "classes": RAG_TAG_CLASSES[RAG(rag)]}


def computed_rag(action: DeliveryAction, today: date) -> RAG:
    """The rules' rating, from an action annotated with `last_progress`."""
    last = getattr(action, "last_progress", None) or timezone.localdate(action.created_at)
    return compute_rag(
        status=action.status,
        due_on=action.due_on,
        last_progress_on=last,
        today=today,
        stale_weeks=settings.GOVERNANCE_STALE_WEEKS,
    )


class ActionRow:
    """One action, ready to show: its rating as computed and, when overridden, as set by hand."""

    def __init__(self, action: DeliveryAction, today: date):
        self.pk = action.pk
        self.title = action.title
        self.owner = str(action.owner)
        self.lead_organisation = action.lead_organisation.name
        self.component = PCREFComponent(action.component)
        self.component_label = str(self.component.label)
        self.competency = str(Competency(action.competency).label)
        self.due = date_only(action.due_on)
        self.status = action.get_status_display()
        self.computed = computed_rag(action, today)
        self.computed_tag = rag_tag(self.computed)
        self.rag = RAG(action.rag_override) if action.rag_override else self.computed
        self.tag = rag_tag(self.rag)
        self.overridden = bool(action.rag_override)
        self.override_reason = action.rag_override_reason
        self.overdue = action.due_on < today and action.status != DeliveryAction.Status.COMPLETE
        self.at_risk = not self.overdue and self.rag in (RAG.AMBER, RAG.RED)
        last = getattr(action, "last_progress", None)
        self.last_progress = date_only(last) if last else _("No updates yet")


def _rollup(name: str, rows: list[ActionRow]) -> dict:
    counts = Counter(row.rag for row in rows)
    return {"name": name, "counts": [counts[rag] for rag in RAG_ORDER], "total": len(rows)}


class PlanPresenter:
    """A plan's page and its board view: actions by workstream, roll-ups, overdue and at risk."""

    def __init__(self, plan: DeliveryPlan, workstreams, today: date | None = None):
        today = today or timezone.localdate()
        self.pk = plan.pk
        self.title = plan.title
        self.year = plan.year
        self.organisation = plan.organisation.name
        self.programme = plan.programme.name if plan.programme_id else ""
        self.approval = (
            _("Approved by %(committee)s on %(date)s")
            % {"committee": plan.approved_by, "date": date_only(plan.approved_on)}
            if plan.approved_by
            else _("Not yet approved")
        )
        self.today = date_only(today)
        self.rag_headers = [str(rag.label) for rag in RAG_ORDER]
        self.workstreams = [
            {
                "pk": workstream.pk,
                "name": workstream.name,
                "rows": [ActionRow(action, today) for action in workstream.actions.all()],
            }
            for workstream in workstreams
        ]
        rows = [row for workstream in self.workstreams for row in workstream["rows"]]
        self.action_count = len(rows)
        self.by_workstream = [_rollup(w["name"], w["rows"]) for w in self.workstreams]
        self.by_component = [
            _rollup(str(component.label), [row for row in rows if row.component == component])
            for component in PCREFComponent
        ]
        self.total = _rollup(_("All actions"), rows)
        self.overdue = [row for row in rows if row.overdue]
        self.at_risk = [row for row in rows if row.at_risk]


def action_summary(action: DeliveryAction, row: ActionRow) -> list[dict]:
    """The summary list of an action's page."""

    def item(key, value):
        return {"key": {"text": key}, "value": {"text": value or "–"}}

    return [
        item(_("Workstream"), action.workstream.name),
        item(_("Owner"), row.owner),
        item(_("Lead organisation"), row.lead_organisation),
        item(_("PCREF component"), row.component_label),
        item(_("National organisational competency"), row.competency),
        item(_("Due date"), row.due),
        item(_("Status"), row.status),
        item(_("Latest progress update"), row.last_progress),
    ]


def update_items(updates) -> list[dict]:
    return [
        {
            "date": date_only(update.recorded_on),
            "who": str(update.written_by),
            "text": update.text,
            "evidence_link": update.evidence_link,
        }
        for update in updates
    ]


# The public page says how an action stands in words, from the rating that counts.
PUBLIC_RAG_WORDS = {
    RAG.BLUE: gettext_lazy("Done"),
    RAG.GREEN: gettext_lazy("On track"),
    RAG.AMBER: gettext_lazy("At risk"),
    RAG.RED: gettext_lazy("Behind"),
}
PUBLIC_RAG_COUNTS = {
    RAG.BLUE: gettext_lazy("%(count)s done"),
    RAG.GREEN: gettext_lazy("%(count)s on track"),
    RAG.AMBER: gettext_lazy("%(count)s at risk"),
    RAG.RED: gettext_lazy("%(count)s behind"),
}
PUBLIC_RAG_ORDER = [RAG.BLUE, RAG.GREEN, RAG.AMBER, RAG.RED]


def public_rag(action: DeliveryAction, today: date) -> RAG:
    """The rating that counts: the override where there is one, else the computed rating."""
    return RAG(action.rag_override) if action.rag_override else computed_rag(action, today)


def public_summary(rags: list[RAG]) -> str:
    """ "4 actions: 1 done, 2 on track, 1 behind"."""
    counts = Counter(rags)
    total = ngettext("%(count)s action", "%(count)s actions", len(rags)) % {"count": len(rags)}
    parts = [
        str(PUBLIC_RAG_COUNTS[rag]) % {"count": counts[rag]}
        for rag in PUBLIC_RAG_ORDER
        if counts[rag]
    ]
    return f"{total}: {', '.join(parts)}" if parts else total


class PublicPlanPresenter:
    """The public plan page: no owner, no author of an update, no staff detail of any kind."""

    def __init__(self, plan: DeliveryPlan, workstreams, today: date | None = None):
        today = today or timezone.localdate()
        self.title = plan.title
        self.year = plan.year
        self.organisation = plan.organisation.name
        self.approval = (
            _("Approved by %(committee)s on %(date)s")
            % {"committee": plan.approved_by, "date": date_only(plan.approved_on)}
            if plan.approved_by
            else ""
        )
        self.workstreams = []
        for workstream in workstreams:
            actions = []
            for action in workstream.actions.all():
                rag = public_rag(action, today)
                updates = list(action.updates.all())  # newest first (ProgressUpdate.Meta)
                latest = updates[0] if updates else None
                actions.append(
                    {
                        "title": action.title,
                        "description": action.description,
                        "due": formats.date_format(action.due_on, "YEAR_MONTH_FORMAT"),
                        "rag": rag,
                        "progress": str(PUBLIC_RAG_WORDS[rag]),
                        "tag_classes": RAG_TAG_CLASSES[rag],
                        "lead_organisation": action.lead_organisation.name,
                        "latest_text": latest.text if latest else "",
                        "latest_date": date_only(latest.recorded_on) if latest else "",
                    }
                )
            self.workstreams.append(
                {
                    "name": workstream.name,
                    "actions": actions,
                    "summary": public_summary([a["rag"] for a in actions]),
                }
            )


# --- Milestones, measures, themes and evidence ---------------------------------------------


def milestone_items(milestones, today: date) -> list[dict]:
    """An action's milestones, each with how it stands in words."""
    items = []
    for milestone in milestones:
        if milestone.done_on:
            state = _("Done on %(date)s") % {"date": date_only(milestone.done_on)}
        elif milestone.due_on < today:
            state = _("Overdue: was due on %(date)s") % {"date": date_only(milestone.due_on)}
        else:
            state = _("Due on %(date)s") % {"date": date_only(milestone.due_on)}
        items.append(
            {
                "pk": milestone.pk,
                "title": milestone.title,
                "state": state,
                "done": bool(milestone.done_on),
                "overdue": not milestone.done_on and milestone.due_on < today,
            }
        )
    return items


def next_milestone(milestones, today: date) -> str:
    """ "Next: Trainers booked, due on 5 March 2026", from the milestones not done and not yet
    overdue."""
    coming = sorted((m for m in milestones if not m.done_on and m.due_on >= today), key=_due)
    if not coming:
        return ""
    return _("Next: %(title)s, due on %(date)s") % {
        "title": coming[0].title,
        "date": date_only(coming[0].due_on),
    }


def overdue_milestones(milestones, today: date) -> str:
    """ "2 overdue milestones: A (due on 1 May 2026), B (due on 9 May 2026)", or ""."""
    late = sorted((m for m in milestones if not m.done_on and m.due_on < today), key=_due)
    if not late:
        return ""
    names = ", ".join(
        _("%(title)s (due on %(date)s)") % {"title": m.title, "date": date_only(m.due_on)}
        for m in late
    )
    return ngettext(
        "%(count)s overdue milestone: %(names)s",
        "%(count)s overdue milestones: %(names)s",
        len(late),
    ) % {"count": len(late), "names": names}


def _due(milestone):
    return (milestone.due_on, milestone.title)


def theme_rows(themes, counts: dict, year: str) -> list[dict]:
    """Per theme, the feedback given it in the plan's year and in the year before."""
    first = int(year[:4])
    before = f"{first - 1}/{first % 100:02d}"
    return [
        {
            "name": theme.name,
            "now": counts.get(theme.pk, (0, 0))[0],
            "before": counts.get(theme.pk, (0, 0))[1],
            "words": _("%(theme)s: %(now)s in %(year)s, %(before)s in %(last)s")
            % {
                "theme": theme.name,
                "now": counts.get(theme.pk, (0, 0))[0],
                "year": year,
                "before": counts.get(theme.pk, (0, 0))[1],
                "last": before,
            },
        }
        for theme in sorted(themes, key=lambda theme: theme.name)
    ]


def evidence_update_items(updates, visible_feedback: set, visible_entries: set) -> list[dict]:
    """update_items with each update's files, the feedback and the entries it cites; a link
    only to what the reader may open."""
    items = []
    for update, item in zip(updates, update_items(updates), strict=True):
        item["files"] = [
            {"pk": f.pk, "name": f.name, "size": filesizeformat(f.size)} for f in update.files.all()
        ]
        item["feedback"] = [
            {
                "pk": s.pk,
                "reference": s.reference,
                "linked": s.pk in visible_feedback,
            }
            for s in update.feedback_items.all()
        ]
        item["entries"] = [
            {
                "pk": e.pk,
                "text": f"{e.theme.name}: {e.we_did[:120]}",
                "linked": e.pk in visible_entries,
            }
            for e in update.you_said_we_did.all()
        ]
        items.append(item)
    return items


class BoardLinks:
    """Per action of a plan, for the board: next and overdue milestones, measures read from the
    latest results, and the feedback given its themes."""

    def __init__(self, plan: DeliveryPlan, actions, readings, theme_counts, today: date):
        by_action: dict = {}
        for reading in readings:
            by_action.setdefault(reading.measure.action_id, []).append(reading)
        self.rows = []
        for action in actions:
            milestones = list(action.milestones.all())
            themes = list(action.themes.all())
            row = {
                "pk": action.pk,
                "title": action.title,
                "next": next_milestone(milestones, today),
                "overdue": overdue_milestones(milestones, today),
                "measures": by_action.get(action.pk, []),
                "themes": theme_rows(themes, theme_counts, plan.year),
            }
            if milestones or row["measures"] or themes:
                self.rows.append(row)
