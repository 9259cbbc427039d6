"""One family of refusals (common/refusals.py), answered in one place on the web (RefusalMiddleware
with the error page of its status, or the form shown again) and in one place in the API
(api/exceptions.py), always with a message for the user in the user's language."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from api.exceptions import exception_handler
from casework.exceptions import CaseConflict, CasePermissionDenied, TransitionUnavailable
from common.middleware import RefusalMiddleware
from common.refusals import NotAvailable, NotPermitted, Refusal
from ledger import jobs


def test_the_case_refusals_belong_to_the_family():
    assert issubclass(CasePermissionDenied, NotPermitted) and issubclass(NotPermitted, PermissionDenied)
    assert issubclass(TransitionUnavailable, NotAvailable) and issubclass(CaseConflict, TransitionUnavailable)
    assert {NotPermitted.status_code, NotAvailable.status_code} == {403, 409}
    assert issubclass(NotAvailable, Refusal) and not issubclass(NotAvailable, PermissionDenied)


@pytest.fixture
def web_request(db):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return request


@pytest.mark.parametrize(
    ("exception", "status", "text"),
    [
        (NotAvailable("案件当前状态不能执行此操作。"), 409, "案件当前状态不能执行此操作。"),
        (CasePermissionDenied("您无权对此案件执行“结案”。"), 403, "您无权对此案件执行“结案”。"),
    ],
)
def test_the_web_answers_a_refusal_with_its_page_and_message(web_request, exception, status, text):
    response = RefusalMiddleware(lambda request: None).process_exception(web_request, exception)
    assert response.status_code == status
    assert text in response.content.decode()


def test_the_middleware_leaves_other_errors_to_django(web_request):
    middleware = RefusalMiddleware(lambda request: None)
    assert middleware.process_exception(web_request, ValueError("x")) is None
    assert middleware.process_exception(web_request, PermissionDenied()) is None  # Django's 403 page


def test_a_refused_page_says_why(client, community_staff):
    client.force_login(community_staff)
    response = client.get(reverse("ledger:upload"))
    assert response.status_code == 403
    assert "只有综治中心工作人员可以导入台账。" in response.content.decode()


@pytest.mark.parametrize(("exception", "status"), [(NotPermitted("不行"), 403), (NotAvailable("现在不行"), 409)])
def test_the_api_answers_every_refusal_with_its_status_and_message(exception, status):
    response = exception_handler(exception, {})
    assert (response.status_code, response.data) == (status, {"detail": exception.message})


def test_a_ledger_upload_by_someone_else_than_centre_staff_is_refused_in_chinese(community_staff):
    with pytest.raises(NotPermitted, match="只有综治中心工作人员可以导入台账。"):
        jobs.import_request(user=community_staff, upload=io.BytesIO(b""), valid_only=False, dry_run=True)
