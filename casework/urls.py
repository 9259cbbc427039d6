from django.urls import path

from . import views

app_name = "casework"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.xlsx", views.export, name="export"),
    path("new/", views.intake, name="intake"),
    path("new/duplicates/", views.duplicates, name="duplicates"),
]
