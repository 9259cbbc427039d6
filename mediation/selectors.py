"""Reads of the mediation side: who may be assigned to a case, and why not."""

from .models import ConflictDeclaration, Mediator


def mediator_conflicts(mediator: Mediator, case, *, parties=None, declarations=None) -> list[str]:
    """回避: the reasons `mediator` may not mediate `case` (empty when there are none).

    `parties` and `declarations` may be passed in when checking many mediators
    against one case, so the check costs no query per mediator.
    """
    parties = list(case.parties.all()) if parties is None else parties
    if declarations is None:
        declarations = list(ConflictDeclaration.objects.filter(case=case))
    reasons = []
    person_names = {p.name.strip() for p in parties if p.kind == "person"}
    org_names = {p.name.strip() for p in parties if p.kind == "organisation"}
    phones = {p.phone for p in parties if p.phone}
    if mediator.name.strip() in person_names or (mediator.phone and mediator.phone in phones):
        reasons.append(f"{mediator.name}本人是本案当事人")
    if mediator.organization_id and mediator.organization.name.strip() in org_names:
        reasons.append(f"所属组织“{mediator.organization.name}”是本案当事人")
    reasons.extend(f"已声明回避：{d.reason}" for d in declarations if d.mediator_id == mediator.pk)
    return reasons


def assignment_options(case):
    """Every active mediator with the reasons (if any) they cannot take `case`, for the assignment form."""
    parties = list(case.parties.all())
    declarations = list(ConflictDeclaration.objects.filter(case=case))
    options = []
    for mediator in Mediator.objects.filter(active=True).select_related("organization").order_by("name"):
        reasons = mediator_conflicts(mediator, case, parties=parties, declarations=declarations)
        if not mediator.available:
            reasons.append(f"{mediator.name}暂不接案")
        options.append((mediator, reasons))
    return options
