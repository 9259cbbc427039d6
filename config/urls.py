from django.contrib import admin
from django.urls import include, path

from config.health import healthz

# The admin speaks the project's name in Chinese, like every other page.
admin.site.site_header = "枫桥矛盾纠纷调处系统 管理"
admin.site.site_title = "枫桥矛盾纠纷调处系统 管理"
admin.site.index_title = "基础数据与账户"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each role's home page and the notices (home reads every app, so it sits on top).
    path("", include("home.urls")),
    # Each app owns its pages; see the app's urls.py.
    path("", include("grids.urls")),
    path("cases/", include("casework.urls")),
    path("mediation/", include("mediation.urls")),
    path("reports/", include("reports.urls")),
    path("analysis/", include("reports.analysis.urls")),
    path("ledger/", include("ledger.urls")),
    path("api/", include("api.urls")),
]
