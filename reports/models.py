"""Report snapshots (日报 / 月报)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import ReportKind


class ImmutableQuerySet(models.QuerySet):
    """A snapshot is evidence of what the figures were: no bulk update or delete either."""

    def update(self, **kwargs):
        raise ValidationError(_("报表快照不可修改，请重新生成新版本。"))

    def delete(self):
        raise ValidationError(_("报表快照不可删除。"))


class Frozen(models.Model):
    """A report once made is evidence of what the figures were: never changed, never deleted."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValidationError(_("报表快照不可修改，请重新生成新版本。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("报表快照不可删除。"))


class Snapshot(Frozen):
    """An immutable snapshot of the statistics for one day or one month.

    Regenerating makes a new version with who and why; the unique (subdistrict, kind,
    period, version) row is also the claim that makes a scheduled generation idempotent.
    """

    # One database holds many subdistricts; a report is of one of them (community staff read
    # their community's view, computed from this snapshot's stored case sets).
    subdistrict = models.ForeignKey(
        "grids.Subdistrict", on_delete=models.PROTECT, related_name="+", verbose_name=_("街道")
    )
    kind = models.CharField(_("类型"), max_length=8, choices=ReportKind.choices)
    # The day of a daily report, the first of the month of a monthly one.
    period = models.DateField(_("报表期间"))
    version = models.PositiveIntegerField(_("版本"))
    generated_at = models.DateTimeField(_("生成时间"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("生成人"),
    )
    reason = models.CharField(_("生成原因"), max_length=200, blank=True)
    # sha256 of the figures that describe the cases (not of when they were computed):
    # "nothing changed" means the same fingerprint.
    fingerprint = models.CharField(max_length=64)
    figures = models.JSONField(_("统计数据"))
    # The frozen material of the figures: the ids of the cases behind each figure, each case's
    # state and community at the period's end (see reports.statistics). Drill-downs and the
    # community views read it, never a live query.
    material = models.JSONField(_("案件明细"), default=dict)

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["-period", "kind", "subdistrict_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["subdistrict", "kind", "period", "version"], name="snapshot_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="snapshot_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        if self.kind == ReportKind.MONTHLY:
            return _("%(year)s年%(month)s月 矛盾纠纷月报") % {"year": self.period.year, "month": self.period.month}
        return _("%(date)s 矛盾纠纷日报") % {"date": self.period.isoformat()}

    @property
    def is_legacy(self) -> bool:
        """Made before reports kept their case sets: figures only, no drill-downs or views."""
        return not self.material

    @property
    def period_label(self) -> str:
        return self.period.strftime("%Y-%m") if self.kind == ReportKind.MONTHLY else self.period.isoformat()


class DistrictReport(Frozen):
    """A district's monthly report (区月报), made from its subdistricts' monthly snapshots of the same
    month, never from the cases: each subdistrict's counts as its snapshot holds them, the district's
    the sums, its rates recomputed from the summed counts. A subdistrict regenerating its report
    makes the district's next version; (district, period, version) is unique, and version 1 is the
    claim that makes the schedule and the catch-up idempotent."""

    district = models.ForeignKey("grids.District", on_delete=models.PROTECT, related_name="+", verbose_name=_("区"))
    # The first of the month.
    period = models.DateField(_("报表期间"))
    version = models.PositiveIntegerField(_("版本"))
    generated_at = models.DateTimeField(_("生成时间"))
    reason = models.CharField(_("生成原因"), max_length=200, blank=True)
    # The snapshots it was made from, one per subdistrict: [{subdistrict, snapshot, version}, …];
    # its fingerprint is theirs, so the same sources never make a second version.
    sources = models.JSONField(_("来源月报"), default=list)
    fingerprint = models.CharField(max_length=64)
    figures = models.JSONField(_("统计数据"))

    class Meta:
        verbose_name = _("区月报")
        verbose_name_plural = _("区月报")
        ordering = ["-period", "district_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["district", "period", "version"], name="district_report_version_unique"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="district_report_version_positive"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"

    @property
    def title(self) -> str:
        return _("%(year)s年%(month)s月 区矛盾纠纷月报") % {"year": self.period.year, "month": self.period.month}

    @property
    def period_label(self) -> str:
        return self.period.strftime("%Y-%m")


class SimilarDocument(models.Model):
    """类案参考's index entry for one concluded case: its description segmented once, as it stood at
    the conclusion indexed (a case concluded again is indexed again). Filled in the background and
    by the demo, never on a case's own write path (which lives below this app)."""

    case = models.OneToOneField(
        "casework.DisputeCase", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("案件")
    )
    concluded_at = models.DateTimeField(_("办结时间"))
    # The segmented words, space-separated: ranking the candidates needs no segmenter.
    terms = models.TextField(_("分词"))

    class Meta:
        verbose_name = _("类案索引")
        verbose_name_plural = _("类案索引")
        indexes = [models.Index(fields=["-concluded_at"], name="similar_doc_concluded_idx")]

    def __str__(self):
        return f"{self.case_id}: {self.terms[:40]}"


class SimilarTerm(models.Model):
    """One posting of the inverted index: a word of a concluded case's description, with where the
    case is and when it concluded, so a lookup reads the latest postings of each of the query's words
    in one subdistrict from one index range, never the cases table."""

    term = models.CharField(_("词"), max_length=32)
    document = models.ForeignKey(SimilarDocument, on_delete=models.CASCADE, related_name="postings")
    subdistrict = models.ForeignKey("grids.Subdistrict", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey("casework.Category", on_delete=models.CASCADE, related_name="+")
    concluded_at = models.DateTimeField(_("办结时间"))

    class Meta:
        verbose_name = _("类案索引词")
        verbose_name_plural = _("类案索引词")
        # The category rides in the index beside the document: a lookup filters on it and must not
        # visit the table's heap for every posting (a cold heap cost ~10 ms a word).
        indexes = [
            models.Index(
                fields=["subdistrict", "term", "-concluded_at"],
                name="similar_term_lookup_cat_idx",
                include=["document", "category"],
            )
        ]

    def __str__(self):
        return f"{self.term} → {self.document_id}"


class MonthlyCount(models.Model):
    """How many cases a month adds to the reports' history, per place, category, outcome and lead.

    Kept by database triggers on the cases and their events (reports/summary.py), so that every
    write path — the services, the ledger's bulk inserts, a COPY — keeps it true; checked and
    repaired by `manage.py reconcile_summary` (nightly). Plain ids, no foreign keys: a count is
    not a reference, and a trigger must not wait on another table's locks.

    `measure`: "registered" (by registration month); "concluded" (cases with a conclusion in the
    month, as the month ended: the trend); "cumulative" (the change the month makes to "every case
    concluded since records began, as it ended": +1 for a conclusion, −1 for the conclusion it
    replaced, so that the months up to a period's end add up to the cumulative figure as of then).
    """

    month = models.DateField()
    subdistrict_id = models.BigIntegerField()
    community_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    measure = models.CharField(max_length=16)
    outcome = models.CharField(max_length=8, blank=True)
    # Led by a third-party mediator (lawyer, social worker, legal adviser) when concluded; a change
    # of a mediator's kind moves the cases they led (a trigger), as the case-by-case figures would.
    third_party = models.BooleanField(default=False)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The report reads a subdistrict's cells of one measure up to a month: the index alone
            # answers it (count included), without visiting the table.
            models.UniqueConstraint(
                fields=[
                    "subdistrict_id", "measure", "month", "community_id", "category_id", "outcome", "third_party"
                ],
                include=["count"],
                name="monthlycount_cell",
            )
        ]  # fmt: skip

    def __str__(self):
        return f"{self.month:%Y-%m} {self.measure} {self.outcome} {self.count}"
