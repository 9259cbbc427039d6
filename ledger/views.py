"""Ledger pages: upload (centre staff), the template to fill in, and exports in the ledger's layout.

Every export starts from the user's scope (casework.selectors.cases_visible_to): the
ledger page's filter, the queue with its filters, a report figure's cases. Personal data
are masked, except in a full export that centre staff ask for on the ledger page.
"""

import io

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from casework import permissions
from casework.filters import queue_filter
from casework.selectors import cases_visible_to
from common.audit import audit_export
from common.refusals import NotPermitted
from reports import selectors as report_selectors

from . import jobs
from .exporter import export_ledger
from .forms import LedgerFilterForm, LedgerUploadForm
from .importer import LedgerFileError
from .layout import write_template

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """Import is the centre's: replaying history for the whole subdistrict."""
    if not permissions.is_own_centre_staff(request.user):
        raise NotPermitted(_("只有综治中心工作人员可以导入台账。"))
    status = 200
    if request.method == "POST":
        form = LedgerUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = jobs.import_request(
                    user=request.user,
                    upload=form.cleaned_data["file"],
                    sheet=form.cleaned_data["sheet"],
                    valid_only=form.cleaned_data["mode"] == LedgerUploadForm.MODE_VALID,
                    dry_run=form.cleaned_data["dry_run"],
                )
            except LedgerFileError as exc:
                form.add_error("file", exc.message)
                # Not the file's fault: the service is unavailable for now.
                status = 503 if isinstance(exc, jobs.UploadNotStored) else 400
            else:
                return redirect("ledger:import", pk=job.pk)
        else:
            status = 400
    else:
        form = LedgerUploadForm()
    context = {
        "form": form,
        "imports": jobs.recent_imports(request.user),
        "filter_form": LedgerFilterForm(user=request.user),
    }
    return render(request, "ledger/upload.html", context, status=status)


@login_required
@require_GET
def import_page(request, pk):
    """One upload: its progress while a worker imports it (the page polls this view), then its report."""
    job = jobs.import_for(request.user, pk)
    context = {
        "job": job,
        "status": jobs.import_status(job),
        "report": jobs.import_report(job),
    }
    template = "ledger/_import_status.html" if request.headers.get("HX-Request") else "ledger/import.html"
    return render(request, template, context)


@login_required
@require_GET
def template(request):
    buffer = io.BytesIO()
    write_template(buffer)
    return _xlsx_response(buffer.getvalue(), "矛盾纠纷台账模板.xlsx")


def _ledger_export(request, cases, *, what: str, full: bool = False) -> HttpResponse:
    buffer = io.BytesIO()
    counts = {}
    rows = export_ledger(
        cases.order_by("registered_at", "id"), user=request.user, target=buffer, full=full, counts=counts
    )
    audit_export(request, what=what, rows=rows, masked=counts["unmasked"] == 0)
    return _xlsx_response(buffer.getvalue(), f"矛盾纠纷台账-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_GET
def export(request):
    form = LedgerFilterForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "ledger/export_error.html", {"form": form}, status=400)
    cases = form.filter(cases_visible_to(request.user))
    return _ledger_export(request, cases, what="ledger", full=form.cleaned_data.get("full", False))


@login_required
@require_GET
def export_queue(request):
    """The queue as the user has it filtered (the same filterset as the page), in the ledger's layout."""
    return _ledger_export(request, queue_filter(request).qs, what="ledger:queue")


@login_required
@require_GET
def export_report(request, pk: int):
    """The cases behind one figure of a report (its drill-down), in the ledger's layout."""
    snapshot = report_selectors.snapshot_for(request.user, pk)
    community = request.GET.get("community", "")
    cases = report_selectors.drill_down(
        request.user, snapshot, request.GET.get("figure", ""), int(community) if community.isdigit() else None
    )
    return _ledger_export(request, cases, what=f"ledger:report:{snapshot.pk}")
