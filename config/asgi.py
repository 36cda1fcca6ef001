"""The ASGI entry point: Django for HTTP, the game's consumers for WebSockets.

Serve it with `daphne config.asgi:application` (or uvicorn).
"""

from __future__ import annotations

import gc
import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# Django must be set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from game import answers, conf  # noqa: E402
from game.routing import websocket_urlpatterns  # noqa: E402

if conf.warm_scorer_at_start():
    answers.warm_up()  # before serving: the first guess after a start must not wait

# Python's cycle collector walks every live object in a full collection: with the models,
# Django and a thousand sockets loaded, that stopped the server for up to 560 ms, a dozen
# times in two minutes at a thousand players. What is loaded by now lives as long as the
# process, so it leaves the collector's sight (freeze), and young collections run every 50,000
# allocations instead of 700, which makes the older generations' walks rare. Measured with
# benchmarks/guess_load.py (1 process, 1,000 players): no pause over 5 ms except 14 young
# collections of at most 84 ms; median answer 58-75 -> 21 ms, flat out 184-217 -> 238/s.
gc.freeze()
gc.set_threshold(50_000, 20, 100)

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
