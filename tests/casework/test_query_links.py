"""The queue's links are written in the view (QueryLinks): each must be what `{% querystring %}`
writes for the same request and changes, byte for byte."""

import pytest
from django.template import Context, RequestContext, Template
from django.test import RequestFactory

from casework.views import QueryLinks

QUERIES = [
    "",
    "tab=mediating",
    "status=closed&community=6",
    "q=%E5%BC%A0+%3Cb%3E&o=-number&x=1&x=2",
    "tab=overdue&after=0%2C2026-11-27T06%3A27%3A00%2B00%3A00%2C4939&page=2",
    "page=3&before=1%2C2026-01-01T00%3A00%3A00%2B00%3A00%2C7&tab=warning",
]
CHANGES = [
    ("after=None before=None page=None", {"after": None, "before": None, "page": None}),
    (
        "tab='accepted' after=None before=None page=None",
        {"tab": "accepted", "after": None, "before": None, "page": None},
    ),
    ("o='-status' after=None page=None", {"o": "-status", "after": None, "page": None}),
    ("after='0,x,9' before=None page=4", {"after": "0,x,9", "before": None, "page": 4}),
    ("after=None before='1,y,2' page=1", {"after": None, "before": "1,y,2", "page": 1}),
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize(("tag_args", "changes"), CHANGES)
def test_links_match_querystring(query, tag_args, changes):
    request = RequestFactory().get(f"/cases/?{query}" if query else "/cases/")
    expected = Template(f"{{% querystring {tag_args} %}}").render(RequestContext(request))
    # Both as the page writes them: through the template, escaped.
    written = Template("{{ href }}").render(Context({"href": QueryLinks(request.GET)(**changes)}))
    assert written == expected
