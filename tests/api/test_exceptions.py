"""The one shape of a 400: flat field paths to lists of messages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions

from api.exceptions import exception_handler, flatten_errors
from casework.exceptions import CaseConflict, CasePermissionDenied, TransitionUnavailable


def test_flatten_errors_gives_nested_fields_dotted_paths():
    detail = {"grid": ["无效"], "parties": {0: {"name": ["必填"]}, 2: {"role": ["无效"]}}, "tags": [{}, {"x": ["y"]}]}
    assert flatten_errors(detail) == {
        "grid": ["无效"],
        "parties[0].name": ["必填"],
        "parties[2].role": ["无效"],
        "tags[1].x": ["y"],
    }


def test_flatten_errors_of_a_bare_list_is_detail():
    assert flatten_errors(["整体无效"]) == {"detail": "整体无效"}


def test_service_refusals_map_to_status_codes():
    assert exception_handler(CasePermissionDenied("不行"), {}).status_code == 403
    assert exception_handler(TransitionUnavailable("状态不对"), {}).data == {"detail": "状态不对"}
    assert exception_handler(CaseConflict(), {}).status_code == 409


def test_django_validation_errors_map_to_400_by_field():
    response = exception_handler(DjangoValidationError({"reason": ["请填写"]}), {})
    assert (response.status_code, response.data) == (400, {"reason": ["请填写"]})
    response = exception_handler(DjangoValidationError("案卷记录不得删除。"), {})
    assert (response.status_code, response.data) == (400, {"detail": "案卷记录不得删除。"})


def test_parse_error_is_400_in_the_same_shape():
    response = exception_handler(exceptions.ParseError("JSON 无效"), {})
    assert (response.status_code, response.data) == (400, {"detail": "JSON 无效"})


def test_other_drf_errors_keep_their_status():
    assert exception_handler(exceptions.NotFound(), {}).status_code == 404
    assert exception_handler(exceptions.NotAuthenticated(), {}).status_code == 401
