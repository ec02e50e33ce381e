FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home passerelle

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY knowledge ./knowledge
COPY bookings ./bookings
COPY translations ./translations
RUN pip install -e . && mkdir -p var && chown passerelle var

USER passerelle
EXPOSE 8080
# Webhooks for the configured channels; set PASSERELLE_DATABASE_URL to PostgreSQL at scale.
CMD ["passerelle", "serve", "--host", "0.0.0.0", "--port", "8080"]
