"""The admin, a page using the static files, and a JSON view."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


def echo(request: HttpRequest, rest: str) -> JsonResponse:
    return JsonResponse({"app": True, "method": request.method, "path": request.path})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("", home),
    path("echo/<path:rest>", echo),
]
