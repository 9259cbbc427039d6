"""Finding 4 of the attack run: easy 500s (and HTML answers) from request bodies and paths under /api/."""

import json

import pytest
from django.conf import settings

from casework.models import DisputeCase, Party
from tests.api.bodies import registration

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_finding_4_a_deep_body_is_a_400_not_a_500(client, api, grid_worker, grid):
    # No sign-in needed to reach the parser.
    for depth in (5000, 100_000, 33):
        response = client.post("/api/v1/auth/token/", nested(depth), content_type="application/json")
        assert response.status_code == 400 and response["Content-Type"] == "application/json", depth
        assert response.json() == {"detail": "JSON parse error - nested deeper than 32 levels."}
    body = registration(grid)
    # The body, its parties and a party hold three levels: 30 more make 33.
    body["parties"][0]["extra"] = json.loads(nested(30))
    response = api(grid_worker).post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    body["parties"][0]["extra"] = json.loads(nested(29))  # 32: parsed; the unknown field is ignored
    response = api(grid_worker).post("/api/v1/cases/", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.json()


def test_finding_4_parties_are_capped_with_a_message(api, grid_worker, grid):
    for count in (201, 33_000):
        body = registration(grid, parties=[{"role": "applicant", "name": f"甲{i}"} for i in range(count)])
        response = api(grid_worker).post("/api/v1/cases/", body, format="json")
        assert response.status_code == 400, count
        assert response.json() == {"parties": ["一件案件最多登记200名当事人。"]}
    assert not DisputeCase.objects.exists()
    body = registration(grid, parties=[{"role": "applicant", "name": f"甲{i}"} for i in range(200)])
    response = api(grid_worker).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 201 and response.json()["party_count"] == 200
    assert Party.objects.count() == 200


def test_finding_4_every_answer_under_api_is_json(client, api, grid_worker, grid):
    big = json.dumps(registration(grid, description="纠" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 3 + 10)))
    for user in (None, grid_worker):
        response = api(user).post("/api/v1/cases/", big, content_type="application/json")
        assert response.status_code == 413 and response["Content-Type"] == "application/json"
        assert isinstance(response.json()["detail"], str)
    # Encoded: the test client (urllib) drops a raw newline from a path; a server hands it on.
    for path in ("/api/v1/cases/%0a", "/api/v1/%0Acases/", "/api/%0a", "/api/v1/cases/1/%0d%0a/x"):
        response = api(grid_worker).get(path)
        assert response.status_code == 404 and response["Content-Type"] == "application/json", path
        assert isinstance(response.json()["detail"], str)
    # Malformed JSON: the detail is a string, as the contract says.
    response = client.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400 and isinstance(response.json()["detail"], str)
