"""Seed the official holiday calendar 2020–2026 and the dispute categories."""

import datetime as dt

from django.db import migrations

from casework.holidays import official_overrides

CATEGORIES = [
    ("family", "婚姻家庭"),
    ("neighbour", "邻里纠纷"),
    ("property_mgmt", "物业纠纷"),
    ("housing", "房屋土地"),
    ("labour", "劳动争议"),
    ("consumer", "消费纠纷"),
    ("damages", "损害赔偿"),
    ("contract", "合同债务"),
    ("medical", "医疗纠纷"),
    ("demolition", "征收拆迁"),
    ("traffic", "道路交通"),
    ("other", "其他"),
]


def load(apps, schema_editor):
    CalendarDay = apps.get_model("casework", "CalendarDay")
    Category = apps.get_model("casework", "Category")
    for day, kind, name in official_overrides(dt.date(2020, 1, 1), dt.date(2026, 12, 31)):
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": kind, "name": name})
    for order, (code, name) in enumerate(CATEGORIES):
        Category.objects.get_or_create(code=code, defaults={"name": name, "sort_order": order})


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
