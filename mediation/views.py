"""The case page and everything done from it, the printable agreement, and the mediators' and
organisations' pages. Every case-specific view starts from the user's scope: outside it is 404."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from casework import permissions, supervision
from casework import services as case_services
from casework.enums import (
    FOLLOW_UP_STATES,
    IN_MEDIATION,
    SESSION_STATES,
    Transition,
    WarningReason,
    running_deadline,
)
from casework.exceptions import CaseConflict
from casework.models import DisputeCase
from casework.selectors import cases_visible_to
from common.audit import audit_reveal
from common.prepared import attached
from common.refusals import NotPermitted, Refusal, show_refusal
from grids.enums import Role

from . import services
from .correctable import KINDS
from .corrections import correct, correction_target
from .documents import agreement_pdf as agreement_pdf_bytes
from .documents import party_line, signature_rows
from .forms import (
    CORRECTION_FORMS,
    ConflictForm,
    ExtendForm,
    FollowUpForm,
    JudicialForm,
    SessionForm,
    SupervisionAnswerForm,
    SupervisionForm,
    own_mediator,
)
from .selectors import (
    case_agreement,
    case_page,
    case_timeline,
    conflicts_of,
    correction_history,
    judicial_history,
    mediator_statistics,
    organization_statistics,
)
from .workflow import TRANSITION_FORMS, TRANSITION_SERVICES


def _visible_case(request, pk: int) -> DisputeCase:
    """The helper at the top of every case view: the case within the user's scope, or 404."""
    try:
        return case_page(request.user, pk)
    except DisputeCase.DoesNotExist:
        raise Http404 from None


# Records added from the case page: form, service, who may, in which states.
RECORDS = {
    "session": {
        "label": gettext_lazy("记录调解情况"),
        "form": SessionForm,
        "service": services.session_log,
        "allowed": lambda user, case: permissions.can_log_session(user, case) and case.status in SESSION_STATES,
    },
    "follow_up": {
        "label": gettext_lazy("记录回访"),
        "form": FollowUpForm,
        "service": services.follow_up_record,
        "allowed": lambda user, case: permissions.can_record_follow_up(user, case) and case.status in FOLLOW_UP_STATES,
    },
    "extend": {
        "label": gettext_lazy("延长办理期限"),
        "form": ExtendForm,
        "service": case_services.case_extend_deadline,
        "allowed": lambda user, case: (
            permissions.can_extend_deadline(user, case) and case.status in IN_MEDIATION and not case.conclude_extended
        ),
    },
    "conflict": {
        "label": gettext_lazy("声明回避"),
        "form": ConflictForm,
        "service": services.conflict_declare,
        "allowed": lambda user, case: case.is_open and own_mediator(user, case) is not None,
    },
    # 督办 by the district's centre on an open case (the service refuses one neither overdue nor warned).
    "supervise": {
        "label": gettext_lazy("督办"),
        "form": SupervisionForm,
        "service": supervision.supervision_issue,
        "allowed": lambda user, case: case.is_open and supervision.may_supervise(user, case),
    },
    "supervision_answer": {
        "label": gettext_lazy("答复督办"),
        "form": SupervisionAnswerForm,
        "service": lambda case, *, actor, order, text: supervision.supervision_answer(order, actor=actor, text=text),
        "allowed": supervision.may_answer,
    },
    "judicial": {
        "label": gettext_lazy("记录司法确认情况"),
        "form": JudicialForm,
        "service": services.judicial_confirmation_record,
        "allowed": lambda user, case: (
            permissions.can_record_follow_up(user, case)
            and case.status in FOLLOW_UP_STATES
            and case_agreement(case) is not None
        ),
    },
}


# Forms that read the mediator roster load when opened, so the case page costs the same queries in every state.
LAZY_FORMS = {Transition.ASSIGN, Transition.REASSIGN}


def transition_state(user, case, name: str) -> str | None:
    """None when `user` may run `name` now; otherwise why not ("" when it is simply not theirs or not now)."""
    if not permissions.can_transition(user, case, name):
        return ""
    if case_services.declared_transition(case, name) is None:
        return ""
    try:
        case_services.check_transition(case, name, actor=user)
    except Refusal as exc:
        return exc.message
    return None


def case_actions(user, case, bound=None):
    """Only what this user may do to this case now, each with its form (the submitted one if re-shown)."""
    bound = bound or {}
    actions, blocked = [], []
    for name, form_class in TRANSITION_FORMS.items():
        reason = transition_state(user, case, name)
        if reason is None:
            action = {"name": name, "label": Transition(name).label, "form": bound.get(name), "kind": "transition"}
            if action["form"] is None and name in LAZY_FORMS:
                action["lazy_url"] = reverse("mediation:action_form", args=[case.pk, name])
            elif action["form"] is None:
                action["form"] = form_class(case=case, user=user)
            actions.append(action)
        elif reason:
            blocked.append({"label": Transition(name).label, "reason": reason})
    records = []
    for name, record in RECORDS.items():
        if record["allowed"](user, case):
            form = bound.get(name) or record["form"](case=case, user=user)
            records.append({"name": name, "label": record["label"], "form": form, "kind": "record"})
    return actions, blocked, records


def _kept_input(bound, offered):
    """What the user typed into an action that is no longer offered, so it can be copied, not lost."""
    offered_names = {a["name"] for a in offered}
    kept = []
    for name, form in (bound or {}).items():
        if name in offered_names:
            continue
        for field in form.visible_fields():
            value = form.data.get(field.html_name, "")
            if value:
                kept.append((field.label, value))
    return kept


# The deadlines a case page lists (those set), the one running now marked.
DEADLINE_LABELS = [
    ("accept_due", gettext_lazy("受理期限")),
    ("conclude_due", gettext_lazy("办结期限")),
    ("follow_up_due", gettext_lazy("回访期限")),
]


JUDICIAL_WINDOW_LABELS = {
    "open": gettext_lazy("当事人尚未申请"),
    "lapsed": gettext_lazy("已届满，当事人未申请"),
}


def judicial_deadline_row(agreement, today) -> dict:
    """Art. 33's window as a deadline of the case page: running while nobody applied."""
    window = agreement.judicial_window(today)
    return {
        "key": "judicial",
        "label": gettext_lazy("司法确认申请期限"),
        "date": agreement.judicial_deadline,
        "running": window == "open",
        "overdue": False,
        "state": JUDICIAL_WINDOW_LABELS.get(window) or agreement.get_judicial_confirmation_display(),
    }


def render_case(request, case, *, bound=None, conflict=None, status=200, revealed=False):
    today = timezone.localdate()
    actions, blocked, records = case_actions(request.user, case, bound)
    running = running_deadline(case.status, case.follow_up_count)
    deadlines = [
        {
            "key": field.removesuffix("_due"),
            "label": label,
            "date": getattr(case, field),
            "running": field == running,
            "overdue": field == running and getattr(case, field) < today,
        }
        for field, label in DEADLINE_LABELS
        if getattr(case, field)
    ]
    agreement = case_agreement(case)
    if agreement is not None:
        deadlines.append(judicial_deadline_row(agreement, today))
    context = {
        "case": case,
        "today": today,
        "deadlines": deadlines,
        "warning_reasons": [WarningReason(r).label for r in case.warning_reasons if r in WarningReason.values],
        "show_personal": permissions.can_see_personal_data(request.user, case),
        "revealed": revealed,
        "parties": list(attached(case, "parties")),
        "history": correction_history(case),
        "may_correct": permissions.can_correct_records(request.user, case),
        "co_mediators": list(attached(case, "co_mediators")),
        "agreement": agreement,
        "supervision_orders": attached(case, "supervision_orders"),
        "judicial_history": judicial_history(case) if agreement is not None else [],
        "timeline": case_timeline(case),
        "actions": actions,
        "blocked": blocked,
        "records": records,
        "conflict": conflict,
        "kept": _kept_input(bound, actions + records) if conflict else None,
        # Served by a higher app, named by setting: links, like imports, run only downward.
        "similar_url": reverse(settings.FENGQIAO_SIMILAR_URL_NAME, args=[case.pk]),
    }
    return render(request, "mediation/case.html", context, status=status)


@login_required
def case_detail(request, pk: int):
    return render_case(request, _visible_case(request, pk))


def _handle(request, case, name, form, call):
    """Run `call` if the form is valid; on success redirect, otherwise re-show the page with the typed input."""
    conflict = None
    status = 400
    if form.is_valid():
        try:
            call(form)
        except CaseConflict as exc:
            conflict = exc
            status = 409
        except (ValidationError, Refusal) as exc:
            status = show_refusal(form, exc)
        else:
            messages.success(request, _("已保存：%(what)s。") % {"what": form.action_label})
            if not cases_visible_to(request.user).filter(pk=case.pk).exists():
                # 回避: the mediator who just left the case may no longer see it.
                return redirect(settings.LOGIN_REDIRECT_URL)
            return redirect("mediation:case", pk=case.pk)
    # The case may have moved on (or the failed attempt touched the loaded object): show it as it is now,
    # with the form as the user typed it, so nothing typed is lost.
    case = _visible_case(request, case.pk)
    if conflict is not None:
        # Re-offer the same input against the case as it is now; a second submit is a deliberate one.
        data = request.POST.copy()
        if "version" in data:
            data["version"] = str(case.version)
        label = form.action_label
        form = type(form)(data, case=case, user=request.user)
        form.action_label = label
    return render_case(request, case, bound={name: form}, conflict=conflict, status=status)


@login_required
@require_POST
def reveal(request, pk: int):
    """Full ID numbers, phones and addresses of the parties, on request: each request is an audited reveal."""
    case = _visible_case(request, pk)
    if not permissions.can_see_personal_data(request.user, case):
        raise NotPermitted(_("只有综治中心工作人员和本案调解员可以查看完整个人信息。"))
    audit_reveal(request, case_id=case.pk, number=case.number)
    if request.htmx:
        context = {
            "case": case,
            "parties": list(attached(case, "parties")),
            "history": correction_history(case),
            "may_correct": permissions.can_correct_records(request.user, case),
            "show_personal": True,
            "revealed": True,
        }
        return render(request, "mediation/_parties.html", context)
    return render_case(request, case, revealed=True)


@login_required
@require_POST
def transition(request, pk: int, name: str):
    case = _visible_case(request, pk)
    if name not in TRANSITION_FORMS:
        raise Http404
    if not permissions.can_transition(request.user, case, name):
        raise NotPermitted(_("您不能对此案件执行“%(action)s”。") % {"action": Transition(name).label})
    form = TRANSITION_FORMS[name](request.POST, case=case, user=request.user)
    form.action_label = Transition(name).label

    def call(form):
        if form.cleaned_data["version"] != case.version:
            # Someone changed the case after this user loaded the page: say who and when.
            case_services.raise_conflict(case)
        TRANSITION_SERVICES[name](case, actor=request.user, **form.service_kwargs())

    return _handle(request, case, name, form, call)


@login_required
def correction(request, pk: int, kind: str, row: int):
    """更正 one record of the case: its form (GET), and the correction (POST), a new row superseding it."""
    case = _visible_case(request, pk)
    if kind not in CORRECTION_FORMS:
        raise Http404
    try:
        old = correction_target(case, kind, row)
    except ObjectDoesNotExist:
        raise Http404 from None
    if not permissions.can_correct_records(request.user, case):
        raise NotPermitted(_("只有综治中心工作人员可以更正案卷记录。"))
    form_class, status = CORRECTION_FORMS[kind], 200
    if request.method == "POST":
        form, status = form_class(request.POST, case=case, user=request.user, row=old), 400
        if form.is_valid():
            try:
                if form.cleaned_data["version"] != case.version:
                    case_services.raise_conflict(case)
                correct(case, kind, old, actor=request.user, **form.service_kwargs())
            except (ValidationError, Refusal) as exc:
                status = show_refusal(form, exc)
            else:
                messages.success(request, _("已更正：%(what)s。") % {"what": KINDS[kind].label})
                return redirect("mediation:case", pk=case.pk)
    else:
        form = form_class(case=case, user=request.user, row=old)
    context = {"case": case, "kind": KINDS[kind], "row": old, "form": form}
    return render(request, "mediation/correction.html", context, status=status)


@login_required
def action_form(request, pk: int, name: str):
    """The form of one action, loaded when the user opens it (see LAZY_FORMS)."""
    case = _visible_case(request, pk)
    if name not in TRANSITION_FORMS:
        raise Http404
    reason = transition_state(request.user, case, name)
    if reason is not None:
        raise NotPermitted(reason or _("您现在不能对此案件执行“%(action)s”。") % {"action": Transition(name).label})
    action = {
        "name": name,
        "label": Transition(name).label,
        "form": TRANSITION_FORMS[name](case=case, user=request.user),
        "kind": "transition",
    }
    return render(request, "mediation/_action_form.html", {"case": case, "action": action})


@login_required
@require_POST
def record(request, pk: int, name: str):
    case = _visible_case(request, pk)
    spec = RECORDS.get(name)
    if spec is None:
        raise Http404
    if not spec["allowed"](request.user, case):
        raise NotPermitted(_("您不能为此案件%(action)s。") % {"action": spec["label"]})
    form = spec["form"](request.POST, case=case, user=request.user)
    form.action_label = spec["label"]

    def call(form):
        spec["service"](case, actor=request.user, **form.service_kwargs())

    return _handle(request, case, name, form, call)


def _agreement_document(request, pk: int) -> dict:
    """What the 调解协议书 shows, printed or as a PDF; either is audited as a reveal when it
    carries the parties' full details."""
    case = _visible_case(request, pk)
    agreement = case_agreement(case)
    if agreement is None:
        raise Http404
    show_personal = permissions.can_see_personal_data(request.user, case)
    if show_personal:
        audit_reveal(request, case_id=case.pk, number=case.number)
    lead = case.lead_mediator
    organization = lead.organization.name if lead is not None and lead.organization_id else ""
    return {
        "case": case,
        "agreement": agreement,
        "parties": list(attached(case, "parties")),
        "show_personal": show_personal,
        "mediators": [m for m in [lead, *attached(case, "co_mediators")] if m],
        "organization": organization,
    }


@login_required
def agreement_print(request, pk: int):
    document = _agreement_document(request, pk)
    lines = [party_line(p, show_personal=document["show_personal"]) for p in document["parties"]]
    rows = signature_rows(**{k: document[k] for k in ("agreement", "parties", "mediators", "organization")})
    return render(request, "mediation/agreement_print.html", {**document, "party_lines": lines, "signature_rows": rows})


@login_required
def agreement_pdf(request, pk: int):
    document = _agreement_document(request, pk)
    body = agreement_pdf_bytes(**document)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agreement-{document["case"].number}.pdf"'
    return response


def _centre_only(user):
    if not user.has_role(Role.CENTRE_STAFF):
        raise NotPermitted(_("只有综治中心工作人员可以查看调解员和调解组织。"))


@login_required
def mediators(request):
    _centre_only(request.user)
    rows = list(mediator_statistics(request.user.subdistrict_id))
    return render(request, "mediation/mediators.html", {"mediators": rows})


@login_required
def mediator_detail(request, pk: int):
    _centre_only(request.user)
    mediator = get_object_or_404(mediator_statistics(request.user.subdistrict_id), pk=pk)
    conflicts = [c for c in conflicts_of(mediator) if c.case.subdistrict_id == request.user.subdistrict_id]
    return render(request, "mediation/mediator_detail.html", {"mediator": mediator, "conflicts": conflicts})


@login_required
def organizations(request):
    _centre_only(request.user)
    rows = list(organization_statistics(request.user.subdistrict_id))
    return render(request, "mediation/organizations.html", {"organizations": rows})
