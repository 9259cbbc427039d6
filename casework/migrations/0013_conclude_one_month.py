"""Open cases get the one-month conclusion deadline in place of the thirty working days they were
given: counted from acceptance, or from the escalation for a case the subdistrict received (whose
clock is its own), and extended once more when the case had been extended. An escalated case keeps
the community's leg: its deadline, the days it held the case and whether it ran late."""

import datetime as dt

from django.conf import settings
from django.db import migrations
from django.utils import timezone

from casework.calendar import months_after

IN_MEDIATION = ("accepted", "assigned", "mediating")


def _rolled(overrides: dict, day: dt.date) -> dt.date:
    while overrides.get(day) == "holiday" or (overrides.get(day) != "workday" and day.weekday() >= 5):
        day += dt.timedelta(days=1)
    return day


def forwards(apps, schema_editor):
    DisputeCase = apps.get_model("casework", "DisputeCase")
    CaseEvent = apps.get_model("casework", "CaseEvent")
    CalendarDay = apps.get_model("casework", "CalendarDay")
    overrides = dict(CalendarDay.objects.values_list("date", "kind"))
    months = settings.FENGQIAO_CONCLUDE_MONTHS
    cases = DisputeCase.objects.filter(status__in=IN_MEDIATION, accepted_at__isnull=False)
    for case in cases.iterator():
        events = list(
            CaseEvent.objects.filter(case_id=case.pk, name__in=("escalate", "extend_deadline")).order_by("at", "id")
        )
        escalations = [e for e in events if e.name == "escalate"]
        accepted_on = timezone.localtime(case.accepted_at).date()
        start = accepted_on
        if escalations:
            escalation = escalations[-1]
            start = timezone.localtime(escalation.at).date()
            case.escalated_at = escalation.at
            case.community_days = (start - accepted_on).days
            if not (escalation.data or {}).get("community_failure"):
                later = [e for e in events if e.name == "extend_deadline" and e.at > escalation.at]
                community_due = dt.date.fromisoformat(later[0].data["from"]) if later else case.conclude_due
                case.community_conclude_due = community_due
                case.community_overdue = bool(community_due and start > community_due)
        due = _rolled(overrides, months_after(start, months))
        if case.conclude_extended:
            due = _rolled(overrides, months_after(due, months))
        case.conclude_due = case.next_due = due
        case.save(
            update_fields=[
                "conclude_due",
                "next_due",
                "escalated_at",
                "community_days",
                "community_conclude_due",
                "community_overdue",
            ]
        )


class Migration(migrations.Migration):
    dependencies = [("casework", "0012_ladder_clocks")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
