from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mediation.workflow import WORKFLOW

from . import views

app_name = "api"

v1 = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("me/", views.MeView.as_view(), name="me"),
    path("communities/", views.CommunityList.as_view(), name="communities"),
    path("grids/", views.GridList.as_view(), name="grids"),
    path("categories/", views.CategoryList.as_view(), name="categories"),
    path("mediators/", views.MediatorList.as_view(), name="mediators"),
    path("cases/", views.CaseListCreate.as_view(), name="cases"),
    path("cases/<int:pk>/", views.CaseDetail.as_view(), name="case"),
    *(
        path(
            f"cases/<int:pk>/transitions/{step.name}/",
            views.TransitionView.as_view(transition=step.name),
            name=f"transition-{step.name}",
        )
        for step in WORKFLOW
    ),
    path("cases/<int:pk>/sessions/", views.SessionCreate.as_view(), name="sessions"),
    path("cases/<int:pk>/follow-ups/", views.FollowUpCreate.as_view(), name="follow-ups"),
    path("cases/<int:pk>/supervision/", views.SupervisionListCreate.as_view(), name="supervision"),
    path(
        "cases/<int:pk>/supervision/<int:order>/answer/",
        views.SupervisionAnswerCreate.as_view(),
        name="supervision-answer",
    ),
    path("cases/<int:pk>/parties/<int:row>/correction/", views.PartyCorrection.as_view(), name="party-correction"),
    path("cases/<int:pk>/sessions/<int:row>/correction/", views.SessionCorrection.as_view(), name="session-correction"),
    path(
        "cases/<int:pk>/follow-ups/<int:row>/correction/",
        views.FollowUpCorrection.as_view(),
        name="follow-up-correction",
    ),
    path("inspections/", views.InspectionListCreate.as_view(), name="inspections"),
    path("inspections/<int:pk>/", views.InspectionDetail.as_view(), name="inspection"),
    path("reports/", views.SnapshotList.as_view(), name="reports"),
    path("reports/<int:pk>/", views.SnapshotDetail.as_view(), name="report"),
    path("reports/generate/", views.ReportGenerate.as_view(), name="report-generate"),
    path("stats/success-rate/", views.SuccessRateView.as_view(), name="success-rate"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's initialiser as a script file: no inline <script> under the CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("v1/", include(v1)),
    # Everything else under /api/ answers in JSON too (an unknown transition name included).
    re_path(r"^.*$", views.NotFoundView.as_view(), name="not-found"),
]
