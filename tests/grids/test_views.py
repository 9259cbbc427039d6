from django.urls import reverse

from tests.factories import PASSWORD


def test_login_page_renders_for_anonymous(client, db):
    response = client.get(reverse("grids:login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_login_with_good_password_lands_on_home(client, centre):
    response = client.post(reverse("grids:login"), {"username": "centre", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_login_with_bad_password_shows_error_and_stays_anonymous(client, centre):
    response = client.post(reverse("grids:login"), {"username": "centre", "password": "wrong"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_redirect_anonymous_to_login(client, db):
    for url in (reverse("home"), reverse("casework:queue"), reverse("casework:intake")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("grids:login"))


def test_logout_signs_out_with_post(client, centre):
    client.force_login(centre)
    response = client.post(reverse("grids:logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_with_good_input_changes_password(client, centre):
    client.force_login(centre)
    response = client.post(
        reverse("grids:password_change"),
        {"old_password": PASSWORD, "new_password1": "lantern-river-4417", "new_password2": "lantern-river-4417"},
    )
    assert response.status_code == 302
    centre.refresh_from_db()
    assert centre.check_password("lantern-river-4417")


def test_password_change_with_mismatch_shows_error_and_keeps_password(client, centre):
    client.force_login(centre)
    response = client.post(
        reverse("grids:password_change"),
        {"old_password": PASSWORD, "new_password1": "lantern-river-4417", "new_password2": "other-river-4417"},
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    centre.refresh_from_db()
    assert centre.check_password(PASSWORD)


def test_language_switch_renders_english(client, centre):
    client.force_login(centre)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("casework:queue"))
    assert "Case queue" in response.content.decode()


def test_pages_carry_no_inline_script_or_style(client, centre):
    """A later Content-Security-Policy forbids inline code: scripts and styles come from static files."""
    import re

    client.force_login(centre)
    for url in (
        reverse("home"),
        reverse("casework:queue"),
        reverse("casework:intake"),
        reverse("grids:password_change"),
    ):
        body = client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), url
        assert " style=" not in body and "<style" not in body, url
        assert re.search(r"\son[a-z]+=", body) is None, url
