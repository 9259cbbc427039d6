"""Forms of the ledger pages: the upload (file, sheet, mode) and the export filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.enums import CaseStatus
from casework.models import Category
from casework.permissions import is_own_centre_staff
from grids.models import Community, Grid

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


class LedgerUploadForm(forms.Form):
    MODE_ALL = "all"
    MODE_VALID = "valid"

    file = forms.FileField(label=_("台账文件（.xlsx）"))
    sheet = forms.CharField(
        label=_("工作表"), required=False, max_length=100, help_text=_("留空则自动查找“台账”或第一个有表头的工作表。")
    )
    mode = forms.ChoiceField(
        label=_("导入方式"),
        choices=[
            (MODE_ALL, _("全部导入：任何一行有误则不写入任何数据")),
            (MODE_VALID, _("只导入无误的行，跳过有误的行")),
        ],
        initial=MODE_ALL,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(label=_("试导入：只检查、显示结果，不写入"), required=False, initial=True)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的 Excel 文件（.xls 请先另存为 .xlsx）。"))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过20MB，请分批导入或使用 import_ledger 命令。"))
        return upload


class LedgerFilterForm(forms.Form):
    """Which visible cases an export holds: the queue's usual filters."""

    status = forms.MultipleChoiceField(label=_("状态"), choices=CaseStatus.choices, required=False)
    community = forms.ModelChoiceField(label=_("社区"), queryset=Community.objects.none(), required=False)
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), required=False)
    category = forms.ModelChoiceField(
        label=_("纠纷类别"), queryset=Category.objects.all(), to_field_name="code", required=False
    )
    registered_from = forms.DateField(label=_("登记日期自"), required=False)
    registered_to = forms.DateField(label=_("登记日期至"), required=False)
    full = forms.BooleanField(
        label=_("导出完整身份证号和手机号码（用于迁移、备份台账；记入审计日志）"),
        required=False,
        help_text=_("不勾选时个人信息脱敏导出。"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_own_centre_staff(user):
            # Only centre staff may take personal data out in full; for others the choice does not exist.
            del self.fields["full"]
        communities = Community.objects.filter(subdistrict_id=user.subdistrict_id)
        if user.subdistrict_id is None and user.community_id:
            communities = Community.objects.filter(pk=user.community_id)
        self.fields["community"].queryset = communities
        self.fields["grid"].queryset = Grid.objects.filter(community__in=communities)

    def clean(self):
        data = super().clean()
        start, end = data.get("registered_from"), data.get("registered_to")
        if start and end and start > end:
            raise forms.ValidationError(_("登记日期的起始日期不能晚于截止日期。"))
        return data

    def filter(self, cases):
        data = self.cleaned_data
        if data.get("status"):
            cases = cases.filter(status__in=data["status"])
        for name in ("community", "grid", "category"):
            if data.get(name):
                cases = cases.filter(**{name: data[name]})
        if data.get("registered_from"):
            cases = cases.filter(registered_at__date__gte=data["registered_from"])
        if data.get("registered_to"):
            cases = cases.filter(registered_at__date__lte=data["registered_to"])
        return cases
