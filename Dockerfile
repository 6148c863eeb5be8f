FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY dispatcher ./dispatcher
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-cache-dir -e .
USER nobody
