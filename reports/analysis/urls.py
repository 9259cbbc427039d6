from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.judgement_page, name="judgement"),
    path("forecast/", views.forecast_page, name="forecast"),
    path("similar/<int:pk>/", views.similar_fragment, name="similar"),
    path("map/", views.map_page, name="map"),
    path("cockpit/", views.cockpit_page, name="cockpit"),
    path("cockpit/panel/", views.cockpit_panel, name="cockpit_panel"),
]
