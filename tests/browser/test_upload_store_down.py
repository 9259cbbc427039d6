"""A ledger uploaded while the file store (the S3 bucket every machine shares) cannot be reached:
the upload page comes back with the reason under the file field, and nothing is recorded.
Screenshots go to test-artifacts/."""

import pytest
from django.db import connections

from config.storage import storage_for
from ledger.models import LedgerImport
from tests import s3
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.ledger.conftest import agreed_row, world, xlsx  # noqa: F401 (world: the ledger tests' fixture)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_upload_the_file_store_refuses_says_so_on_the_page(
    browser_page,
    live_server,
    settings,
    monkeypatch,
    tmp_path,
    world,  # noqa: F811
):
    for name, value in s3.CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    # Nothing listens at the store's address.
    down = s3.storage_settings(f"http://127.0.0.1:{s3.free_port()}")
    settings.STORAGES = {**settings.STORAGES, "default": storage_for(down)}
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(xlsx([agreed_row(world)]).getvalue())
    page, base = browser_page, live_server.url
    try:
        sign_in(page, base, world["centre"].username)
        page.goto(f"{base}/ledger/")
        page.set_input_files("#id_file", str(ledger))
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.click("form.ledger-upload button[type=submit]")
        assert answer.value.status == 503
        page.wait_for_selector("form.ledger-upload >> text=文件存储服务暂时无法连接，本次上传未保存，请稍后重新上传。")
        assert not LedgerImport.objects.exists()
        for width, height in ((1366, 768), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(ARTIFACTS / f"ledger-upload-store-down-{width}.png"), full_page=True)
    finally:
        connections.close_all()
