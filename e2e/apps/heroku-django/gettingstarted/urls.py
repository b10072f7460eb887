import hello.views
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("", hello.views.index, name="index"),
    path("admin/", admin.site.urls),
]
