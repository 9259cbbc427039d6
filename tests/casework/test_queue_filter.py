"""The queue's filterset and form are built from shared filters and fields, each request getting
copies of its own: what one request sets on them (its filterset, its user's options, the chosen
values) never shows in another's, and the widgets write what Django's templates wrote."""

import copy

import pytest
from django.test import RequestFactory
from django.utils import translation

from casework.filters import (
    CaseFilter,
    PlainDateRange,
    PlainHidden,
    PlainSelect,
    attributes,
    queue_filter,
    shallow_copy,
)
from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory, UserFactory


def filterset(user, **params):
    request = RequestFactory().get("/cases/", params)
    request.user = user
    return queue_filter(request)


@pytest.fixture
def elsewhere(centre):
    """A grid of another subdistrict, and that subdistrict's centre staff."""
    grid = GridFactory(community=CommunityFactory(subdistrict=SubdistrictFactory(code="QTJ", name="其他街道")))
    return grid, UserFactory(username="qtj", roles=centre.roles, subdistrict=grid.community.subdistrict)


@pytest.mark.django_db
def test_two_requests_at_once_keep_their_own_filters_fields_and_options(centre, grid, other_grid, elsewhere):
    other_grid_elsewhere, other_centre = elsewhere
    mine = filterset(other_centre, community=str(other_grid_elsewhere.community_id))
    theirs = filterset(centre, tab="mediating")
    for name in ("tab", "q", "mediator"):
        assert mine.filters[name].parent is mine and theirs.filters[name].parent is theirs
        assert mine.filters[name] is not theirs.filters[name]
    mine_form, theirs_form = mine.form, theirs.form
    assert mine_form.fields["community"] is not theirs_form.fields["community"]
    assert mine_form.fields["community"].widget is not theirs_form.fields["community"].widget
    # Each centre is offered its own subdistrict's communities, on its own form.
    assert [pk for pk, _ in mine_form.fields["community"].options] == [str(other_grid_elsewhere.community_id)]
    assert {pk for pk, _ in theirs_form.fields["community"].options} == {
        str(grid.community_id),
        str(other_grid.community_id),
    }
    chosen = f'<option value="{other_grid_elsewhere.community_id}" selected>'
    assert chosen in str(mine_form["community"]) and f'value="{other_grid_elsewhere.community_id}"' not in str(
        theirs_form["community"]
    )
    assert 'value="mediating"' in str(theirs_form["tab"]) and 'value="mediating"' not in str(mine_form["tab"])
    # Each queryset is filtered by its own method filters, through its own filterset.
    assert "mediating" in str(theirs.qs.query) and "mediating" not in str(mine.qs.query)
    assert mine.form.cleaned_data["community"] == str(other_grid_elsewhere.community_id)


@pytest.mark.django_db
def test_the_class_filters_and_fields_are_never_changed_by_a_request(centre, community_staff, grid):
    filterset(community_staff, community=str(grid.community_id)).qs  # noqa: B018
    filterset(centre, tab="overdue").qs  # noqa: B018
    assert all(getattr(f, "parent", None) is None for f in CaseFilter.base_filters.values())
    form_class = filterset(centre).get_form_class()
    assert form_class.base_fields["community"].options == []
    assert form_class.base_fields["community"].widget.rows == []


@pytest.mark.django_db
def test_a_copy_of_the_filters_is_not_a_deep_copy():
    filters = copy.deepcopy(CaseFilter.base_filters)
    assert filters.keys() == CaseFilter.base_filters.keys()
    for name, copied in filters.items():
        assert copied is not CaseFilter.base_filters[name]
        # What the filter holds (its label, its field's arguments) is shared, not copied again.
        assert copied.extra is CaseFilter.base_filters[name].extra


def test_the_widgets_write_what_djangos_templates_wrote():
    # Django's templates write a hidden input's type, name and value first, then the other
    # attributes sorted; a select's attributes sorted.
    assert PlainHidden().render("tab", "due_soon", {"id": "id_tab"}) == (
        '<input type="hidden" name="tab" value="due_soon" id="id_tab">'
    )
    assert PlainHidden().render("tab", None, {"id": "id_tab"}) == '<input type="hidden" name="tab" id="id_tab">'
    assert attributes({"name": "a&b", "id": "x", "required": True, "disabled": False, "lang": None}) == (
        ' id="x" name="a&amp;b" required'
    )
    select = PlainSelect(choices=[("", "全部"), ("a", "甲 <乙>"), ("b", "丙")])
    assert select.render("status", "b", {"id": "id_status"}) == (
        '<select id="id_status" name="status"><option value="">全部</option>'
        '<option value="a">甲 &lt;乙&gt;</option><option value="b" selected>丙</option></select>'
    )
    dates = PlainDateRange().render("registered", ["2026-01-02", None], {"id": "id_registered"})
    assert dates == (
        '<input id="id_registered_0" name="registered_after" type="date" value="2026-01-02">-'
        '<input id="id_registered_1" name="registered_before" type="date">'
    )


@pytest.mark.django_db
def test_the_options_are_written_in_the_language_of_the_page(centre):
    with translation.override("en"):
        english = str(filterset(centre).form["risk"])
    chinese = str(filterset(centre).form["risk"])
    assert "Major" in english and "重大" not in english
    assert "重大" in chinese and "Major" not in chinese


@pytest.mark.django_db
def test_the_shallow_copy_is_what_copy_would_make(centre):
    """No filter, field or widget of the queue copies itself its own way, so the plain copy of its
    attributes is the copy module's."""
    form_class = filterset(centre).get_form_class()
    items = [*CaseFilter.base_filters.values(), *form_class.base_fields.values()]
    items += [field.widget for field in form_class.base_fields.values()]
    for item in items:
        assert not hasattr(item, "__copy__") and type(item).__reduce_ex__ is object.__reduce_ex__, item
        assert shallow_copy(item).__dict__ == copy.copy(item).__dict__
