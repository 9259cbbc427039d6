from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "grids"
