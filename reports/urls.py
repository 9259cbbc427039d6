from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/cases/", views.report_cases, name="cases"),
    path("<int:pk>/communities/", views.report_compare, name="compare"),
    path("<int:pk>/export.xlsx", views.report_xlsx, name="xlsx"),
    path("<int:pk>/export.pdf", views.report_pdf, name="pdf"),
    path("district/", views.district_report_list, name="district_list"),
    path("district/<int:pk>/", views.district_report_detail, name="district_detail"),
    path("district/<int:pk>/export.xlsx", views.district_report_xlsx, name="district_xlsx"),
    path("district/<int:pk>/export.pdf", views.district_report_pdf, name="district_pdf"),
    path("inspections/", views.inspection_file, name="inspections"),
    path("inspections/missing/", views.inspection_missing, name="missing"),
    path("inspections/<int:pk>/spot/", views.spot_resolutions, name="spot"),
    path("inspections/spot/", views.spot_resolutions_of_grid, name="spot_grid"),
]
