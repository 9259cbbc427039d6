from django.urls import path

from . import views

app_name = "mediation"
urlpatterns = [
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/reveal/", views.reveal, name="reveal"),
    path("cases/<int:pk>/do/<str:name>/", views.transition, name="transition"),
    path("cases/<int:pk>/form/<str:name>/", views.action_form, name="action_form"),
    path("cases/<int:pk>/record/<str:name>/", views.record, name="record"),
    path("cases/<int:pk>/correct/<str:kind>/<int:row>/", views.correction, name="correct"),
    path("cases/<int:pk>/agreement/", views.agreement_print, name="agreement"),
    path("cases/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("mediators/", views.mediators, name="mediators"),
    path("mediators/<int:pk>/", views.mediator_detail, name="mediator"),
    path("organizations/", views.organizations, name="organizations"),
]
