# Fengqiao production image: gunicorn serving Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    FENGQIAO_PRODUCTION=1 \
    FENGQIAO_VAR_DIR=/var/lib/fengqiao \
    STATIC_ROOT=/srv/fengqiao/staticfiles

# postgresql-client for pg_dump/pg_restore (backups); fonts for the PDF reports come vendored in static/.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /srv/fengqiao --shell /usr/sbin/nologin fengqiao

WORKDIR /srv/fengqiao
COPY pyproject.toml ./
RUN pip install --upgrade pip && pip install .
COPY . .
# collectstatic needs a key to import settings; it is not the deployment's key.
RUN SECRET_KEY=build-only-not-secret-build-only-not-secret-build-only ALLOWED_HOSTS=build \
        python manage.py collectstatic --noinput \
    && mkdir -p /var/lib/fengqiao && chown -R fengqiao /var/lib/fengqiao

USER fengqiao
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
# Access log without query strings: a search may carry what a user typed (names, phones).
# --timeout 120: an upload's header is checked in the request, which for a 20 MB ledger (openpyxl reads
# its whole shared-strings table first) took about 17 s here; the import itself runs on the worker.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", \
     "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(L)s", \
     "--forwarded-allow-ips", "*"]
