from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each app owns its pages; see the app's urls.py.
    path("", include("grids.urls")),
    path("cases/", include("casework.urls")),
    path("mediation/", include("mediation.urls")),
    path("reports/", include("reports.urls")),
    path("ledger/", include("reports.ledger.urls")),
    path("api/", include("api.urls")),
]
