# Passerelle: `passerelle serve` (webhooks, /healthz, /readyz, /metrics, the job runner).
# Two stages: the first installs the dependencies into a virtual environment and compiles
# every module's bytecode (a start without compiling); the second is python:3.11-slim with
# that environment and the sources only, run as an unprivileged user.

FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app

# The dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Every top-level package and module of pyproject.toml, and the catalogs read at run time
# (dialogs/i18n.py finds translations/ next to the packages: the sources stay in /app).
COPY sqlbase.py ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY knowledge ./knowledge
COPY bookings ./bookings
COPY translations ./translations
RUN pip install --no-deps -e . \
    && python -m compileall -q /app/sqlbase.py /app/bot /app/dialogs /app/knowledge /app/bookings


FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PATH=/opt/venv/bin:$PATH
RUN useradd --create-home --uid 10001 passerelle
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
# var/: the SQLite file when no PostgreSQL is configured (not for production).
RUN mkdir -p /app/var && chown passerelle /app/var

USER passerelle
EXPOSE 8080
# Alive, not ready: /readyz (database, schema, backlog) is for the load balancer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# Set PASSERELLE_DATABASE_URL to PostgreSQL in production (see compose.yaml and README's Deploy).
CMD ["passerelle", "serve", "--host", "0.0.0.0", "--port", "8080"]
