"""Each role's home and the notices (通知): the pages of a working day, above every app."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/read/", views.notice_read, name="notice_read"),
    path("notices/settings/", views.notice_settings, name="notice_settings"),
]
