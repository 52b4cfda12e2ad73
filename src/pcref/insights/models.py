"""Extract uploads (each may become a dataset version) and metric runs, per organisation."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pcref.core.models import BaseModel, Organisation


class InsightsQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff of the organisation only; partner users see no organisation's extracts."""
        if not user.is_authenticated or user.organisation_id is None or user.is_partner_user:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)


class ExtractUpload(BaseModel):
    """An extract an analyst uploaded: its files, its validation, and the dataset it became."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Waiting to be checked")
        VALIDATING = "validating", _("Being checked")
        VALID = "valid", _("Valid")
        INVALID = "invalid", _("Not valid")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="extract_uploads",
        verbose_name=_("organisation"),
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="extract_uploads",
        verbose_name=_("uploaded by"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    progress_step = models.CharField(_("current step"), max_length=200, blank=True)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    progress_total = models.PositiveIntegerField(_("steps in all"), default=0)
    files = models.JSONField(_("files"), default=list)  # [{"name": ..., "bytes": ...}]
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    report_path = models.CharField(_("report"), max_length=500, blank=True)
    dataset_number = models.PositiveIntegerField(_("dataset version"), null=True, blank=True)
    # A population-only upload: the dataset version whose other tables it is combined with.
    based_on_dataset = models.PositiveIntegerField(
        _("other tables from dataset version"), null=True, blank=True
    )
    row_count = models.PositiveBigIntegerField(_("rows"), default=0)
    failure = models.CharField(_("why it failed"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("checking started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("checking finished"), null=True, blank=True)

    objects = InsightsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dataset_number"],
                condition=models.Q(dataset_number__isnull=False),
                name="extract_upload_dataset_unique",
            )
        ]

    def __str__(self) -> str:
        return f"upload {str(self.pk)[:8]}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.VALIDATING)

    @property
    def total_bytes(self) -> int:
        return sum(entry["bytes"] for entry in self.files)


class MetricRun(BaseModel):
    """The metric catalogue run on one dataset version of an organisation."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="metric_runs",
        verbose_name=_("organisation"),
    )
    upload = models.ForeignKey(
        ExtractUpload,
        on_delete=models.PROTECT,
        related_name="metric_runs",
        null=True,
        blank=True,
        verbose_name=_("upload"),
    )
    dataset_number = models.PositiveIntegerField(_("dataset version"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="metric_runs",
        verbose_name=_("started by"),
    )
    started_by_system = models.CharField(
        _("started by a system process"), max_length=40, blank=True
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress_text = models.CharField(_("current step"), max_length=200, blank=True)
    progress_done = models.PositiveIntegerField(_("steps done"), default=0)
    results_path = models.CharField(_("results"), max_length=500, blank=True)
    result_rows = models.PositiveBigIntegerField(_("result rows"), default=0)
    # [{"metric": ..., "period_type": ..., "rows": ...}]: what the results page lists
    summary = models.JSONField(_("summary"), default=list)
    failure = models.CharField(_("why it failed"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Publishing a finished run puts its figures, after disclosure control, on the public data
    # page; the latest published run of the organisation is the one shown.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_metric_runs",
        verbose_name=_("published by"),
    )

    objects = InsightsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"metric run {str(self.pk)[:8]} on v{self.dataset_number:04d}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class Report(BaseModel):
    """One version of a board report or a public annual report: the files it made, from which
    metric run and period, and who asked for it. Files are never overwritten (ADR 0009)."""

    class Kind(models.TextChoices):
        BOARD = "board", _("Board report")
        PUBLIC = "public", _("Public annual report")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind of report"), max_length=20, choices=Kind.choices)
    run = models.ForeignKey(
        MetricRun, on_delete=models.PROTECT, related_name="reports", verbose_name=_("metric run")
    )
    period = models.CharField(_("period"), max_length=20)  # a financial year, "2024/25"
    period_start = models.DateField(_("period starts"))
    period_end = models.DateField(_("period ends"))
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    progress_text = models.CharField(_("current step"), max_length=200, blank=True)
    html_path = models.CharField(_("HTML file"), max_length=500, blank=True)
    pdf_path = models.CharField(_("PDF file"), max_length=500, blank=True)
    bytes = models.PositiveBigIntegerField(_("PDF size in bytes"), default=0)
    sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    disclosure_rules = models.CharField(_("disclosure rules applied"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("asked for by"),
    )
    failure = models.CharField(_("why it failed"), max_length=500, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # A public report appears at /report/ only once someone publishes it.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="published_reports",
        verbose_name=_("published by"),
    )

    objects = InsightsQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "period", "version"],
                name="report_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} report {self.period} v{self.version}"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
