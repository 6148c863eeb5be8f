"""The dispatch engine (DESIGN §5): send a chunk, feed the broker, recover from what
dies, watch the balance, tell backend systems.  It decides with ``domain`` and applies
with ``store``; it never imports Celery (workers/ call it)."""
