"""The HTTP API for backend systems (FastAPI).  It never talks to Celery."""
