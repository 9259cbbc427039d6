from django.contrib import admin
from django.urls import include, path

from reports import dashboard

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Each role's home page (reports reads every app, so the dispatcher lives there).
    path("", dashboard.home, name="home"),
    # Each app owns its pages; see the app's urls.py.
    path("", include("grids.urls")),
    path("cases/", include("casework.urls")),
    path("mediation/", include("mediation.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("api.urls")),
]
