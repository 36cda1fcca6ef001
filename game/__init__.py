"""The players' side: pages, the WebSocket consumer, scoring, share strings and stats."""
