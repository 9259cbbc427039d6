"""Request bodies of the API, valid unless changed, shared by the API tests."""

import datetime as dt

from django.utils import timezone

APPLICANT = {"role": "applicant", "name": "张三", "phone": "13812345678", "id_number": "11010519491231002X"}


def registration(grid, **changes) -> dict:
    return {
        "grid": grid.pk,
        "category": "neighbour",
        "source": "grid_worker",
        "risk": "normal",
        "description": "楼上漏水，双方争执",
        "occurred_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "parties": [APPLICANT, {"role": "respondent", "name": "李四"}],
        **changes,
    }


def session_body(**changes) -> dict:
    return {
        "held_at": timezone.now().isoformat(),
        "location": "第三方调解室",
        "attendees": "张三、李四",
        "public": False,
        "rights_explained": True,
        "summary": "告知权利义务后听取双方陈述",
        **changes,
    }


def follow_up_body(**changes) -> dict:
    return {"date": timezone.localdate().isoformat(), "performed": True, "satisfaction": 4, **changes}


def written_agreement_body(case_pk=None, **changes) -> dict:
    """A written agreement (art. 29); with `case_pk`, complete: the parties' missing particulars (as
    the registration's parties lack them), every party's signature, the mediator's and the seal."""
    body = {
        "form": "written",
        "terms": "李四赔偿张三维修费2000元",
        "performance_method": "银行转账",
        "performance_deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "signed_on": timezone.localdate().isoformat(),
        "facts": "卫生间防水层老化导致漏水",
        "disputed_matters": "维修费用由谁承担",
        "responsibilities": "李四承担维修责任",
    }
    if case_pk is not None:
        from casework.models import Party
        from tests.workflow import person_id

        parties = list(Party.objects.filter(case_id=case_pk))
        body["signatures"] = [{"party": p.pk, "mark": "signature"} for p in parties]
        body["mediator_signed"] = body["committee_sealed"] = True
        body["particulars"] = [
            {"party": p.pk, "ethnicity": "汉族", "address": "南昌市东湖区百花洲路3号", "id_number": person_id(n)}
            for n, p in enumerate(parties)
        ]
        body["particulars"][-1]["sex"] = "male"
    return {**body, **changes}
