from django.urls import path

from . import views

app_name = "ledger"
urlpatterns = [
    path("", views.upload, name="upload"),
    path("template/", views.template, name="template"),
    path("export/", views.export, name="export"),
]
