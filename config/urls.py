from django.contrib import admin
from django.urls import include, path

from config.health import healthz

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
    path("ledger/", include("ledger.urls")),
    path("api/", include("api.urls")),
]
