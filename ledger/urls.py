from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/", views.template, name="template"),
    path("imports/<uuid:pk>/", views.import_page, name="import"),
    path("export/", views.export, name="export"),
    path("export/queue/", views.export_queue, name="export_queue"),
    path("export/report/<int:pk>/", views.export_report, name="export_report"),
]
