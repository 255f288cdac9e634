from django.urls import path

from . import views

app_name = "activity"
urlpatterns = [
    path("", views.activity_list, name="list"),
    path("new/", views.activity_create, name="create"),
    path("export.csv", views.activity_export_csv, name="export_csv"),
    path("export.xlsx", views.activity_export_xlsx, name="export_xlsx"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/delete/", views.activity_delete, name="delete"),
]
