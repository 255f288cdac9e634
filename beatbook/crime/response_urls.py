from django.urls import URLPattern, path  # noqa: F401

app_name = "immediate_response"
urlpatterns: list = []
