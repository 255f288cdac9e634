from django.urls import path

from . import compliance_views, pack_views, standards_views

app_name = "compliance"
urlpatterns = [
    path("", compliance_views.overview, name="overview"),
    path("standards/", standards_views.standard_list, name="standards"),
    path("standards/new/", standards_views.standard_create, name="standard_create"),
    path("standards/<int:pk>/", standards_views.standard_edit, name="standard_edit"),
    path("npa/<str:code>/pack/", pack_views.pack, name="pack"),
    path("npa/<str:code>/pack.pdf", pack_views.pack_pdf, name="pack_pdf"),
    path("npa/<str:code>/pack.xlsx", pack_views.pack_xlsx, name="pack_xlsx"),
    path("<str:level>/<str:code>/", compliance_views.team, name="team"),
]
