from django.urls import path

from . import directory_views, views

app_name = "activity"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("export.csv", views.activity_export_csv, name="export_csv"),
    path("export.xlsx", views.activity_export_xlsx, name="export_xlsx"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/delete/", views.activity_delete, name="delete"),
    path("partners/", directory_views.partner_list, name="partners"),
    path("partners/new/", directory_views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", directory_views.partner_edit, name="partner_edit"),
    path("places/", directory_views.place_list, name="places"),
    path("places/new/", directory_views.place_create, name="place_create"),
    path("places/<int:pk>/", directory_views.place_edit, name="place_edit"),
]
