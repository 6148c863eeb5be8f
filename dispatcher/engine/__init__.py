"""The dispatch engine (docs/architecture.md, "The send path"): send a chunk, feed the
broker, recover from what dies, watch the balance, tell backend systems, carry out what
people decide.  It decides with ``domain`` and applies with ``store``; it never imports
Celery (workers/ call it)."""
