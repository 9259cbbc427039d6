"""The queue's filters. Every parameter lives in the URL, so a filtered queue can be bookmarked,
shared, exported and linked to from the dashboard."""

import datetime as dt
from html import escape

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.options import options, watch
from grids.models import Community, Grid, Subdistrict

from .enums import CONCLUDED, OPEN, WITH_MEDIATOR, CaseStatus, Level, Outcome, Risk, Source
from .models import Category, DisputeCase, SupervisionOrder
from .selectors import case_queue, involving_mediator, search_cases

TABS = [
    ("reported", _("待受理")),
    ("accepted", _("待分派")),
    ("mediating", _("调解中")),
    ("due_soon", _("即将到期")),
    ("overdue", _("超期")),
    ("warning", _("预警")),
    ("follow_up", _("待回访")),
    ("closable", _("待结案")),
    ("supervised", _("督办待答复")),
    ("all", _("全部")),
]
# Tabs a higher app adds (the mediation app's judicial-confirmation window): code -> (label, the
# queryset's filter given today), placed before 全部. Filled from the app's ready().
EXTRA_TABS: dict = {}


def register_tab(code: str, label, apply) -> None:
    EXTRA_TABS[code] = (label, apply)


def tab_choices() -> list:
    return [*TABS[:-1], *((code, label) for code, (label, _apply) in EXTRA_TABS.items()), TABS[-1]]


# Tabs about a deadline list the most pressing first (deadline ascending, the most overdue on top);
# the others keep 预警 first, then the newest.
DEADLINE_TABS = frozenset({"reported", "accepted", "due_soon", "overdue"})
DEADLINE_ORDER = ("next_due", "-is_warning", "id")
# 即将到期: a deadline within this many calendar days (today included), not yet passed.
DUE_SOON_DAYS = 3


def tab_cases(qs, tab: str):
    """The usual queues by name; unknown names leave the queryset alone (全部)."""
    today = timezone.localdate()
    if tab == "reported":
        return qs.filter(status=CaseStatus.REPORTED)
    if tab == "accepted":
        return qs.filter(status=CaseStatus.ACCEPTED)
    if tab == "mediating":
        return qs.filter(status__in=WITH_MEDIATOR)
    if tab == "overdue":
        return qs.open().overdue(today)
    if tab == "warning":
        return qs.open().warning()
    if tab == "follow_up":
        return qs.filter(status=CaseStatus.AGREED, follow_up_count=0)
    if tab == "due_soon":
        return qs.open().filter(next_due__gte=today, next_due__lte=today + dt.timedelta(days=DUE_SOON_DAYS))
    if tab == "closable":
        # 待结案: concluded (agreed or failed), awaiting a follow-up or the centre's closure.
        return qs.filter(status__in=CONCLUDED)
    if tab == "supervised":
        # 督办 still waiting for the centre's answer (Exists, not a join: two orders are one row).
        waiting = SupervisionOrder.objects.filter(case_id=OuterRef("pk"), answer__isnull=True)
        return qs.filter(Exists(waiting))
    if tab in EXTRA_TABS:
        return EXTRA_TABS[tab][1](qs, today)
    return qs


ALL = _("全部")


def attributes(attrs: dict) -> str:
    """The attributes as Django's flatatt writes them (sorted, True as a bare name, False and None
    left out), without a format_html per attribute."""
    pairs = sorted((key, value) for key, value in attrs.items() if value is not None and not isinstance(value, bool))
    flags = sorted(key for key, value in attrs.items() if value is True)
    return "".join(f' {key}="{escape(str(value))}"' for key, value in pairs) + "".join(f" {key}" for key in flags)


def mark_chosen(options: str, chosen) -> str:
    """`options` with each chosen value's <option> marked selected."""
    for value in chosen:
        mark = f'<option value="{escape(value)}">'
        options = options.replace(mark, f"{mark[:-1]} selected>", 1)
    return options


# The <option>s of each list, written once per list (by its identity; the list is held here so
# that its id is not reused) and language (the labels of the enums' choices are translated).
_written: dict[tuple[int, str], tuple[object, str]] = {}


def _options_html(rows) -> str:
    key = (id(rows), get_language())
    held = _written.get(key)
    if held is None or held[0] is not rows:
        if len(_written) > 1000:
            _written.clear()
        text = "".join(f'<option value="{escape(str(pk))}">{escape(str(label))}</option>' for pk, label in rows)
        held = _written[key] = (rows, text)
    return held[1]


class PlainSelect(forms.Select):
    """A <select> written out in plain Python, its options once per process and language
    (_options_html). The widget templates cost a template render per option, which made the filter
    form (hundreds of mediators, ~100 grids) most of the queue's server time."""

    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)
        chosen = {values} if isinstance(values, str) else {str(v) for v in values}
        options = mark_chosen(_options_html(self.options()), chosen)
        return mark_safe(
            f"<select{attributes({'name': name, **self.build_attrs(self.attrs, attrs)})}>{options}</select>"
        )

    def options(self):
        # The choices object is shared by every request's copy of the form (CaseFilter.get_form_class).
        return self.choices


class OptionSelect(PlainSelect):
    """A <select> over (pk, name) rows kept as given (OptionField), after a 全部 option."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.rows = []

    def render(self, name, value, attrs=None, renderer=None):
        values = self.format_value(value)
        chosen = values[0] if values else ""
        rows = mark_chosen(_options_html(self.rows), [chosen] if chosen else [])
        empty = f'<option value=""{"" if chosen else " selected"}>{escape(str(ALL))}</option>'
        return mark_safe(
            f"<select{attributes({'name': name, **self.build_attrs(self.attrs, attrs)})}>{empty}{rows}</select>"
        )


class PlainHidden(forms.HiddenInput):
    """A hidden input written out in Python like PlainSelect, in the order Django's template writes it."""

    def render(self, name, value, attrs=None, renderer=None):
        value = self.format_value(value)
        shown = f' type="{self.input_type}" name="{escape(name)}"' + (
            "" if value is None else f' value="{escape(value)}"'
        )
        return mark_safe(f"<input{shown}{attributes(self.build_attrs(self.attrs, attrs))}>")


YES_NO = [("unknown", ALL), ("true", _("是")), ("false", _("否"))]


class YesNoSelect(PlainSelect, forms.NullBooleanSelect):
    """The same three values as NullBooleanSelect, in the words of a filter rather than of a form."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = YES_NO


class PlainDateRange(django_filters.widgets.DateRangeWidget):
    """From and to as two date inputs, written out in Python like PlainSelect."""

    def render(self, name, value, attrs=None, renderer=None):
        if not isinstance(value, list):
            value = self.decompress(value)
        base = self.build_attrs(self.attrs, attrs)
        inputs = []
        for i, (widget, suffix) in enumerate(zip(self.widgets, self.suffixes, strict=True)):
            part = value[i] if i < len(value) else None
            own = {**base, **widget.attrs, "name": f"{name}_{suffix}"}
            if part not in (None, ""):
                own["value"] = widget.format_value(part)
            if "id" in base:
                own["id"] = f"{base['id']}_{i}"
            inputs.append(f"<input{attributes({'type': 'date', **own})}>")
        return mark_safe("-".join(inputs))


def _named(qs) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in qs.values_list("pk", "name")]


def _user_scope(request):
    """Whose communities and grids the filters offer: ("district", id), ("subdistrict", id), ("community", id)
    or None."""
    user = request.user if request else None
    if user is None or not user.is_authenticated:
        return None
    if user.is_district_wide:
        return ("district", user.district_id)
    if user.subdistrict_id:
        return ("subdistrict", user.subdistrict_id)
    return ("community", user.community_id)


def _communities(scope):
    if scope is None:
        return Community.objects.none()
    if scope[0] == "district":
        return Community.objects.filter(subdistrict__district_id=scope[1])
    if scope[0] == "subdistrict":
        return Community.objects.filter(subdistrict_id=scope[1])
    return Community.objects.filter(pk=scope[1])


def _subdistricts(scope):
    """A district reader picks among the district's subdistricts; anyone else has their own or none."""
    if scope is None or scope[0] == "community":
        return Subdistrict.objects.none()
    if scope[0] == "district":
        return Subdistrict.objects.filter(district_id=scope[1])
    return Subdistrict.objects.filter(pk=scope[1])


def _mediator_model():
    # casework may not import mediation: the model comes from the relation itself.
    return DisputeCase._meta.get_field("lead_mediator").related_model


def reference_options(request) -> dict[str, list[tuple[str, str]]]:
    """The (pk, name) options of the queue's reference-data filters, from the per-process lists."""
    scope = _user_scope(request)
    return {
        "subdistrict": options(("subdistricts", scope), lambda: _named(_subdistricts(scope)), request),
        "community": options(("communities", scope), lambda: _named(_communities(scope)), request),
        "grid": options(
            ("grids", scope),
            lambda: _named(Grid.objects.filter(community__in=_communities(scope)).order_by("community_id", "code")),
            request,
        ),
        "category": options(("categories",), lambda: _named(Category.objects.all()), request),
        "mediator": options(("mediators",), lambda: _named(_mediator_model().objects.filter(active=True)), request),
    }


def watch_reference_data():
    """Any write of a model behind the options replaces the lists in every process (common.options)."""
    watch(Subdistrict, Community, Grid, Category, _mediator_model())


class ShallowCopies(dict):
    """Fields or filters by name, of which each form or filterset gets copies of its own: `copy`d
    rather than deep-copied (as Django's forms and django-filter's filtersets copy theirs), since
    they hold nothing a request changes but what the copy sets (a filter's parent, an option
    field's options). The deep copies were ~1,000 copies of labels, choices and widgets a request."""

    def __init__(self, items, copy_one):
        super().__init__(items)
        self.copy_one = copy_one

    def __deepcopy__(self, memo):
        return {name: self.copy_one(item) for name, item in self.items()}


def shallow_copy(item):
    """A new object of the same class holding the same attributes: what copy.copy makes of these
    classes (none defines its own copying), without going through the pickling protocol."""
    clone = object.__new__(type(item))
    clone.__dict__.update(item.__dict__)
    return clone


def copy_field(field: forms.Field) -> forms.Field:
    clone = shallow_copy(field)
    clone.widget = shallow_copy(field.widget)
    return clone


def copy_filter(filter_: django_filters.Filter) -> django_filters.Filter:
    clone = shallow_copy(filter_)
    if filter_.method:
        # A method filter calls its method through the filter it was made for: made again for the copy.
        clone.method = filter_.method
    return clone


class OptionField(forms.Field):
    """A choice among (pk, name) options given per request, kept as given: a ChoiceField would
    normalise and wrap hundreds of options again on every request."""

    widget = OptionSelect
    default_error_messages = {"invalid_choice": forms.ChoiceField.default_error_messages["invalid_choice"]}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = []

    def set_options(self, options: list[tuple[str, str]]):
        self.options = options
        self.widget.rows = options

    def validate(self, value):
        super().validate(value)
        if value and not any(value == pk for pk, _ in self.options):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value})


class NamedChoiceFilter(django_filters.Filter):
    """A choice among reference rows by pk; the options are set per request (CaseFilter.form) and
    checked against the same list, so a choice costs no query."""

    field_class = OptionField


class QueueOrdering(django_filters.OrderingFilter):
    """Sort by the chosen column; early warnings head every queue (domain: 预警), the id breaks ties."""

    def filter(self, qs, value):
        ordering = [self.get_ordering_value(param) for param in value or []] or ["-registered_at"]
        return qs.order_by("-is_warning", *ordering, "-id")


class CaseFilter(django_filters.FilterSet):
    tab = django_filters.ChoiceFilter(label=_("队列"), choices=tab_choices, method="filter_tab", widget=PlainHidden)
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    status = django_filters.ChoiceFilter(
        empty_label=ALL, widget=PlainSelect, label=_("状态"), choices=CaseStatus.choices
    )
    subdistrict = NamedChoiceFilter(label=_("街道"))
    community = NamedChoiceFilter(label=_("社区"))
    grid = NamedChoiceFilter(label=_("网格"))
    category = NamedChoiceFilter(label=_("类别"))
    risk = django_filters.ChoiceFilter(empty_label=ALL, widget=PlainSelect, label=_("风险等级"), choices=Risk.choices)
    level = django_filters.ChoiceFilter(empty_label=ALL, widget=PlainSelect, label=_("调解层级"), choices=Level.choices)
    source = django_filters.ChoiceFilter(empty_label=ALL, widget=PlainSelect, label=_("来源"), choices=Source.choices)
    mediator = NamedChoiceFilter(label=_("调解员（主调或协助）"), method="filter_mediator")
    # The roster's per-mediator counts are of the cases each one leads; their links must list the same cases.
    lead = NamedChoiceFilter(label=_("主调解员"), field_name="lead_mediator")
    third_party = django_filters.BooleanFilter(label=_("第三方调解"), method="filter_third_party", widget=YesNoSelect)
    overdue = django_filters.BooleanFilter(label=_("超期"), method="filter_overdue", widget=YesNoSelect)
    warning = django_filters.BooleanFilter(label=_("预警"), field_name="is_warning", widget=YesNoSelect)
    outcome = django_filters.ChoiceFilter(
        empty_label=ALL, widget=PlainSelect, label=_("调解结果"), choices=Outcome.choices
    )
    concluded_any = django_filters.BooleanFilter(label=_("已办结"), method="filter_concluded_any", widget=YesNoSelect)
    registered = django_filters.DateFromToRangeFilter(
        label=_("登记日期"),
        field_name="registered_at",
        widget=PlainDateRange(),
    )
    concluded = django_filters.DateFromToRangeFilter(
        label=_("办结日期"),
        field_name="concluded_at",
        method="filter_concluded",
        widget=PlainDateRange(),
    )
    # A community's dashboard counts as its conclusions its failures taken up the ladder, which
    # escalation reopened; its links set this, and 已办结 and 办结日期 then select the same cases.
    taken_up = django_filters.BooleanFilter(
        label=_("含上交街道的社区调解不成"), method="filter_taken_up", widget=YesNoSelect
    )
    o = QueueOrdering(
        label=_("排序"),
        fields=(
            ("registered_at", "registered_at"),
            ("next_due", "next_due"),
            ("number", "number"),
            ("status", "status"),
        ),
    )

    class Meta:
        model = DisputeCase
        fields = []

    def get_form_class(self):
        # The form class depends on no request (the options are set on each form below): built once
        # per process, not from freshly built fields on every request.
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = ShallowCopies(form_class.base_fields, copy_field)
            type(self)._form_class = form_class
        return form_class

    @property
    def form(self):
        # The options go on each form's own copy of the fields, not on the filters.
        if not hasattr(self, "_form"):
            form = super().form
            choices = reference_options(self.request)
            for name, field_choices in (*choices.items(), ("lead", choices["mediator"])):
                form.fields[name].set_options(field_choices)
        return self._form

    # Filters the form has no control for: links set them (the roster's per-mediator counts, the
    # dashboards' cumulative figures). The queue says which of them apply, with a way to drop each,
    # and the form carries them on when it is submitted, or a refined list would quietly lose them.
    PINNED = ("lead", "third_party", "concluded_any", "taken_up")

    def pinned(self) -> list[dict]:
        """Each pinned filter that applies: its name, its value as given, its label and its value's label."""
        form = self.form
        cleaned = form.cleaned_data if form.is_valid() else {}
        out = []
        for name in self.PINNED:
            value = cleaned.get(name)
            if value in (None, ""):
                continue
            field = form.fields[name]
            if isinstance(field, OptionField):
                shown = dict(field.options).get(value, value)
            else:
                shown = _("是") if value else _("否")
            out.append({"name": name, "value": form.data.get(name), "label": str(field.label), "shown": str(shown)})
        return out

    def filter_tab(self, qs, name, value):
        return tab_cases(qs, value)

    def _for_community(self) -> bool:
        return bool(self.form.cleaned_data.get("taken_up"))

    def filter_taken_up(self, qs, name, value):
        # Selects nothing itself: it changes what 已办结 and 办结日期 select (below).
        return qs

    def filter_concluded_any(self, qs, name, value):
        if value is None:
            return qs
        if value and self._for_community():
            return qs.concluded_for_community(None, None)
        return qs.filter(concluded_at__isnull=not value)

    def filter_concluded(self, qs, name, value):
        if value and self._for_community():
            # The range ends at the last instant of its last day; the queryset takes the next midnight.
            end = value.stop + dt.timedelta(microseconds=1) if value.stop is not None else None
            return qs.concluded_for_community(value.start, end)
        return django_filters.DateFromToRangeFilter.filter(self.filters["concluded"], qs, value)

    def filter_text(self, qs, name, value):
        return search_cases(qs, value)

    def filter_third_party(self, qs, name, value):
        # Led by a lawyer, social worker or legal adviser (the mediation app's MediatorKind groups).
        if value is None:
            return qs
        third_party = DisputeCase._meta.get_field("lead_mediator").related_model.objects.third_party()
        if value:
            return qs.filter(lead_mediator__in=third_party)
        return qs.exclude(lead_mediator__in=third_party)

    def filter_mediator(self, qs, name, value):
        return involving_mediator(qs, int(value)) if value else qs

    def filter_overdue(self, qs, name, value):
        today = timezone.localdate()
        if value is True:
            return qs.filter(status__in=OPEN).overdue(today)
        if value is False:
            return qs.exclude(status__in=OPEN, next_due__lt=today)
        return qs

    @property
    def qs(self):
        # The order must be stable for paging even when `o` was rejected as invalid.
        qs = super().qs
        cleaned = getattr(self.form, "cleaned_data", {})
        if not cleaned.get("o"):
            if cleaned.get("tab") in DEADLINE_TABS:
                return qs.order_by(*DEADLINE_ORDER)
            if "o" not in cleaned:
                # An `o` that passed (empty) was applied by filter_queryset already.
                qs = self.filters["o"].filter(qs, None)
        return qs


CaseFilter.base_filters = ShallowCopies(CaseFilter.base_filters, copy_filter)


def queue_filter(request) -> CaseFilter:
    """The queue's filterset over the user's scope, from the URL: the page and every export of it use this one."""
    return CaseFilter(request.GET, queryset=case_queue(request.user), request=request)
