"""WebSocket routes (mounted by config.asgi behind the origin check and the session)."""

from __future__ import annotations

from django.urls import path

from game.consumers import PlayConsumer

websocket_urlpatterns = [
    path("ws/play/<int:number>/", PlayConsumer.as_asgi()),
]
