import hashlib
import io
import json
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.admin import RecordAdmin
from common.audit import audit, audit_scope_change, scope_of
from common.enums import AuditAction
from common.workbook import WorkbookFileError

from . import boundaries, services, territory, twofactor
from .enums import Crs, Role
from .models import Community, District, Grid, Inspection, SensitivePeriod, Subdistrict, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TerritoryUploadForm(forms.Form):
    file = forms.FileField(label="区域与人员工作簿（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > territory.MAX_UPLOAD_BYTES:
            raise ValidationError(
                "文件超过%(limit)sMB：一个区的区域与人员远小于此，请检查是否选错了文件。",
                params={"limit": territory.MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        return upload


# The session remembers which stored upload its dry run checked, so that "confirm" imports that very file.
TERRITORY_UPLOAD = "fengqiao_territory_upload"


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    change_list_template = "admin/grids/district/change_list.html"

    def get_urls(self):
        extra = [
            path(
                "import-territory/",
                self.admin_site.admin_view(self.import_territory),
                name="grids_district_import_territory",
            ),
            path(
                "import-territory/template.xlsx",
                self.admin_site.admin_view(self.territory_template),
                name="grids_district_territory_template",
            ),
        ]
        return extra + super().get_urls()

    def _may_import(self, request) -> None:
        """Creating territory and accounts: superusers, or staff who may add districts and users."""
        user = request.user
        if not (user.is_superuser or user.has_perms(["grids.add_district", "grids.add_user", "grids.change_user"])):
            raise PermissionDenied

    def territory_template(self, request):
        self._may_import(request)
        content = io.BytesIO()
        territory.write_template(content)
        response = HttpResponse(content.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(True, "区域与人员导入模板.xlsx")
        return response

    def import_territory(self, request):
        """Upload → dry run (what would be created or updated, or every problem) → confirm: one transaction."""
        self._may_import(request)
        context = {**self.admin_site.each_context(request), "title": "导入区域与人员", "opts": self.model._meta}
        form = TerritoryUploadForm()
        if request.method == "POST" and request.POST.get("confirm"):
            return self._confirm(request, context)
        if request.method == "POST":
            form = TerritoryUploadForm(request.POST, request.FILES)
            if form.is_valid():
                content = form.cleaned_data["file"].read()
                try:
                    outcome = territory.import_territory(io.BytesIO(content), actor=request.user, dry_run=True)
                except WorkbookFileError as exc:
                    form.add_error("file", exc.message)
                else:
                    context["outcome"] = outcome
                    if outcome.ok:
                        context["digest"] = self._keep(request, content)
        context["form"] = form
        status = 400 if form.errors or ("outcome" in context and not context["outcome"].ok) else 200
        return render(request, "admin/grids/import_territory.html", context, status=status)

    def _keep(self, request, content: bytes) -> str:
        """The checked file, kept in the site's storage (any web machine may take the confirmation)."""
        previous = request.session.pop(TERRITORY_UPLOAD, None)
        if previous:
            default_storage.delete(previous["name"])
        digest = hashlib.sha256(content).hexdigest()
        name = default_storage.save(f"territory/{uuid.uuid4().hex}.xlsx", ContentFile(content))
        request.session[TERRITORY_UPLOAD] = {"name": name, "digest": digest}
        return digest

    def _confirm(self, request, context):
        kept = request.session.get(TERRITORY_UPLOAD)
        if not kept or kept["digest"] != request.POST.get("confirm"):
            messages.error(request, "没有待确认的试导入（可能已导入或已过期），请重新上传。")
            return redirect("admin:grids_district_import_territory")
        try:
            with default_storage.open(kept["name"], "rb") as stored:
                content = stored.read()
        except OSError:
            request.session.pop(TERRITORY_UPLOAD, None)
            messages.error(request, "试导入的文件已不在，请重新上传。")
            return redirect("admin:grids_district_import_territory")
        outcome = territory.import_territory(io.BytesIO(content), actor=request.user)
        request.session.pop(TERRITORY_UPLOAD, None)
        default_storage.delete(kept["name"])
        context.update(
            outcome=outcome,
            form=TerritoryUploadForm(),
            links=[(u, n, request.build_absolute_uri(p)) for u, n, p in outcome.links],
        )
        response = render(request, "admin/grids/import_territory.html", context, status=200 if outcome.written else 409)
        # The links set passwords: shown once, kept by no cache.
        response["Cache-Control"] = "no-store"
        return response


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]


class GridInline(admin.TabularInline):
    model = Grid
    extra = 0


class BoundaryForm(forms.ModelForm):
    """A boundary pasted as GeoJSON or uploaded as a file; checked by the service, nothing saved if bad."""

    boundary = forms.CharField(
        label="边界（GeoJSON Polygon / MultiPolygon）", required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    boundary_file = forms.FileField(label="或上传 GeoJSON 文件", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.boundary:
            self.initial["boundary"] = json.dumps(self.instance.boundary, ensure_ascii=False)

    def clean(self):
        data = super().clean()
        upload = data.get("boundary_file")
        text = upload.read() if upload else data.get("boundary") or ""
        crs = data.get("boundary_crs") or ""
        if text and not crs:
            self.add_error("boundary_crs", "请注明边界的坐标系。")
        try:
            data["boundary"] = boundaries.geometry(text) if text else None
        except ValidationError as exc:
            self.add_error("boundary_file" if upload else "boundary", exc.messages)
        return data


class BoundedAdmin(admin.ModelAdmin):
    form = BoundaryForm

    def save_model(self, request, obj, form, change):
        # The boundary goes through the service (checked again, written with its coordinate system).
        boundary, crs = form.cleaned_data.get("boundary"), form.cleaned_data.get("boundary_crs") or Crs.WGS84
        obj.boundary, obj.boundary_crs = None, ""
        super().save_model(request, obj, form, change)
        services.boundary_set(target=obj, boundary=boundary, crs=crs)

    @admin.display(boolean=True, description="边界")
    def has_boundary(self, obj):
        return obj.boundary is not None


@admin.register(Community)
class CommunityAdmin(BoundedAdmin):
    list_display = ["name", "code", "subdistrict", "has_boundary"]
    list_filter = ["subdistrict"]
    inlines = [GridInline]


class BoundaryImportForm(forms.Form):
    file = forms.FileField(label="GeoJSON FeatureCollection 文件")
    crs = forms.ChoiceField(label="坐标系", choices=Crs.choices)
    subdistrict = forms.ModelChoiceField(
        label="街道（只匹配该街道内的代码）", queryset=Subdistrict.objects.all(), required=False
    )


@admin.register(Grid)
class GridAdmin(BoundedAdmin):
    list_display = ["name", "code", "community", "has_boundary"]
    list_filter = ["community"]
    search_fields = ["name", "code"]
    change_list_template = "admin/grids/grid/change_list.html"

    def get_urls(self):
        extra = [
            path(
                "import-boundaries/",
                self.admin_site.admin_view(self.import_boundaries),
                name="grids_grid_import_boundaries",
            )
        ]
        return extra + super().get_urls()

    def import_boundaries(self, request):
        """Bulk import from one FeatureCollection naming grid (and community) codes: all or nothing."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = BoundaryImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            subdistrict = form.cleaned_data["subdistrict"]
            try:
                written = services.boundaries_import(
                    collection=form.cleaned_data["file"].read(),
                    crs=form.cleaned_data["crs"],
                    subdistrict_id=subdistrict.pk if subdistrict else None,
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
                form.add_error(None, "文件有误，未导入任何边界。")
            else:
                messages.success(request, f"已导入 {written['grids']} 个网格、{written['communities']} 个社区的边界。")
                return redirect("admin:grids_grid_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": "导入网格边界",
            "opts": self.model._meta,
        }
        return render(request, "admin/grids/import_boundaries.html", context)


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class UserAdminForm(UserChangeForm):
    roles = RolesField(choices=Role.choices, required=False, label="角色")

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserAddForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


@admin.register(User)
class FengqiaoUserAdmin(UserAdmin):
    form = UserAdminForm
    add_form = UserAddForm
    list_display = ["username", "full_name", "role_labels", "community", "is_active"]
    list_filter = ["is_active", "community"]
    search_fields = ["username", "full_name"]
    filter_horizontal = ["grids", "groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("身份与范围", {"fields": ("full_name", "email", "roles", "district", "subdistrict", "community", "grids")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "must_change_password")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description="角色")
    def role_labels(self, user):
        labels = dict(Role.choices)
        return "、".join(str(labels.get(role, role)) for role in user.roles or []) or "—"

    # The add form is Django's UserCreationForm, which has no "usable password" switch.
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        # The scope before the change; the grids (m2m) are saved later, in save_related.
        request._fq_scope_before = scope_of(User.objects.get(pk=obj.pk)) if change else None
        if not change:
            # The administrator knows the initial password: the owner replaces it at first sign-in.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        audit_scope_change(request, form.instance, getattr(request, "_fq_scope_before", None))


@admin.register(SensitivePeriod)
class SensitivePeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end"]


@admin.register(Inspection)
class InspectionAdmin(RecordAdmin):
    """Read-only: a return is filed through the service (grids.services.inspection_file), which
    checks the grid, the period and the counts."""

    list_display = ["grid", "kind", "period", "disputes_found", "cases_registered", "zero_report", "filed_by"]
    list_filter = ["kind", "zero_report", "grid__community"]
    date_hierarchy = "period"


# django-otp's own admin pages list devices under English names; an administrator needs only to
# make someone enrol again (a lost phone), which the user list's action below does.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.action(description="重置双因素认证（丢失手机时：下次登录重新绑定）")
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        twofactor.reset(user=user)
        audit(
            AuditAction.ROLES_CHANGED,
            actor=request.user,
            request=request,
            target=f"user:{user.pk}",
            detail={"user": user.get_username(), "second_factor": "reset"},
        )


FengqiaoUserAdmin.actions = [reset_second_factor]
