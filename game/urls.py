"""The players' pages (mounted at the site root by config.urls)."""

from __future__ import annotations

from django.urls import path

from game import views

app_name = "game"

urlpatterns = [
    path("", views.today, name="today"),
    path("p/<int:number>/", views.puzzle_page, name="puzzle"),
    path("p/<int:number>/state/", views.state, name="state"),
    path("p/<int:number>/guess/", views.guess, name="guess"),
    path("p/<int:number>/picture/<int:position>/", views.image, name="image"),
    path("archive/", views.archive, name="archive"),
    path("how-to-play/", views.how_to_play, name="how_to_play"),
    path("stats/", views.stats, name="stats"),
]
