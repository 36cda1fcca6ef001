"""URLs: the curation admin under /admin/, the players' pages (game) at the site root."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.static import serve


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    # MEDIA_ROOT is read per request, not when the URLs load, so it can change (tests do).
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
]

if settings.SIXFOLD_SERVE_MEDIA:
    # Media served by Django: fine for the embedded set-up; a front server does it better.
    urlpatterns.append(re_path(rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$", media))

urlpatterns.append(path("", include("game.urls")))
