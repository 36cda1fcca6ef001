"""The ASGI entry point: Django for HTTP, the game's consumers for WebSockets.

Serve it with `daphne config.asgi:application` (or uvicorn).
"""

from __future__ import annotations

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from config.collector import quiet_collector  # noqa: E402
from game import conf, scoring_service  # noqa: E402
from game.routing import websocket_urlpatterns  # noqa: E402

if conf.warm_scorer_at_start():
    scoring_service.warm_up()  # before serving: the first guess after a start must not wait

quiet_collector()  # after loading: the collector's pauses were the server's worst (see there)

# Static files (WhiteNoise) and media are file responses read in a thread under ASGI; Django
# warns about that on every such response. That is the intended trade-off for a small site (a
# front server or CDN serves files at scale), so the warning is silenced rather than repeated.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators", category=Warning
)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Browsers send cookies to WebSockets from any site: accept only our own origins.
        "websocket": AllowedHostsOriginValidator(
            # The session only (the player id lives there); nobody needs a user on a socket.
            SessionMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
