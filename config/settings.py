"""Fengqiao settings: one file, every deployment difference comes from the environment.

Defaults are for a developer's machine (SQLite under var/, no servers needed);
production sets DATABASE_URL, REDIS_URL, SECRET_KEY, ALLOWED_HOSTS and
FENGQIAO_PRODUCTION=1 (see docs/configuration.md).
"""

import datetime as dt
import os
import sys
from pathlib import Path

import dj_database_url

from config import storage

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FENGQIAO_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("FENGQIAO_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else "dev-only-insecure-key-change-me-in-production-000")
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when FENGQIAO_PRODUCTION=1")

# Personal data sealed at rest (common.crypto, docs/security.md): the SM4 field keys and the
# blind-index key, from the environment or a key file, never from the database.
FENGQIAO_FIELD_KEY_FILE = os.environ.get("FENGQIAO_FIELD_KEY_FILE", "")
FENGQIAO_FIELD_KEYS = os.environ.get("FENGQIAO_FIELD_KEYS", "")
if not FENGQIAO_FIELD_KEYS and not FENGQIAO_FIELD_KEY_FILE:
    if PRODUCTION:
        raise RuntimeError("FENGQIAO_FIELD_KEYS or FENGQIAO_FIELD_KEY_FILE must be set when FENGQIAO_PRODUCTION=1")
    # The local demo (`make run`) and the tests: a key of their own under the var dir, made on first start.
    FENGQIAO_FIELD_KEY_FILE = str(VAR_DIR / "field-keys")
    if not os.path.exists(FENGQIAO_FIELD_KEY_FILE):
        from common.crypto import generate_keys_text

        # Written aside then linked into place: two processes starting at once end with one key, whole.
        _draft = f"{FENGQIAO_FIELD_KEY_FILE}.{os.getpid()}"
        with os.fdopen(os.open(_draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as _file:
            _file.write(generate_keys_text())
        try:
            os.link(_draft, FENGQIAO_FIELD_KEY_FILE)
            print(f"Fengqiao: generated a local field key in {FENGQIAO_FIELD_KEY_FILE}", file=sys.stderr)
        except FileExistsError:
            pass
        finally:
            os.unlink(_draft)
if not FENGQIAO_FIELD_KEYS:
    try:
        FENGQIAO_FIELD_KEYS = Path(FENGQIAO_FIELD_KEY_FILE).read_text()
    except OSError as exc:
        raise RuntimeError(f"FENGQIAO_FIELD_KEY_FILE cannot be read: {exc}") from None
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "config.apps.SignInLockoutConfig",  # django-axes, under a Chinese name
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Ours, in import order: common <- grids <- casework <- mediation <- reports / ledger
    # <- demo, api and home on top: an app imports only the apps listed before it.
    "common",
    "grids",
    "casework",
    "mediation",
    "reports",
    "ledger",
    "demo",
    "api",
    "home",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Under /api/: oversized bodies refused (413) and Django's own error answers in JSON.
    "api.middleware.ApiErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The idle timeout, the second factor and the forced first password change.
    "grids.middleware.SignInStepsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "common.middleware.PrivateNoStoreMiddleware",
    "common.middleware.RefusalMiddleware",
    # Last, as django-axes requires: it turns locked-out sign-ins into a refusal page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "django.template.context_processors.i18n",
    # The site menu by role and the unread notice count (one COUNT, only when shown).
    "home.navigation.menu",
]
# Two engines, one per page: the hot pages are Jinja2 templates in
# templates_jinja2/, every other page, the admin, sign-in and the forms' widgets are the Django engine's
# (templates/). A template name exists in one of the two only.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates_jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "common.jinja2.environment",
            "context_processors": CONTEXT_PROCESSORS,
            # Modules whose jinja2_globals and jinja2_filters the Jinja2 templates may use.
            "libraries": ["casework.templatetags.casework"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": CONTEXT_PROCESSORS},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'fengqiao.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before a request reuses it: a restarted server costs one
        # failed check, not a failed page.
        conn_health_checks=True,
    )
}
if env_bool("FENGQIAO_DB_TRANSACTION_POOLER", False):
    # Behind PgBouncer in transaction mode a session's state does not outlive its transaction:
    # no server-side cursors (iterator() reads in chunks client-side) and no prepared statements.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, scheduler) share the file under `make run`.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "grids.User"
LOGIN_URL = "grids:login"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/IP before the password is checked.
    "grids.backends.SignInThrottleBackend",
    # Django's accounts; the signed-in user comes with their unread notice count (the menu's).
    "grids.backends.AccountBackend",
]
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "grids:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # 等保 2.0 level 3: none of the last 5 passwords again.
    {"NAME": "grids.passwords.RecentPasswordsValidator", "OPTIONS": {"count": 5}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files users upload and the system keeps (ledger uploads waiting for a worker): the local disk, or
# an S3-compatible bucket shared by every machine when FENGQIAO_S3_BUCKET is set (config.storage).
STORAGES = {
    "default": storage.storage_for(os.environ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        # Files, not process memory: the web server and the worker share it (a ledger import's progress).
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fengqiao@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))

# Notices leave the app (站内, always) by these channels, each as the user chose per kind: e-mail
# through EMAIL_BACKEND (SMTP in a deployment, the console in `make run`), SMS through the
# backend named here: the logging one by default, or the HTTP gateway's with its URL and token.
FENGQIAO_NOTICE_CHANNELS = tuple(
    c.strip() for c in os.environ.get("FENGQIAO_NOTICE_CHANNELS", "email,sms").split(",") if c.strip()
)
FENGQIAO_SMS_BACKEND = os.environ.get("FENGQIAO_SMS_BACKEND", "common.sms.LoggingSmsBackend")
FENGQIAO_SMS_GATEWAY_URL = os.environ.get("FENGQIAO_SMS_GATEWAY_URL", "")
FENGQIAO_SMS_GATEWAY_TOKEN = os.environ.get("FENGQIAO_SMS_GATEWAY_TOKEN", "")
FENGQIAO_SMS_SIGNATURE = os.environ.get("FENGQIAO_SMS_SIGNATURE", "枫桥")
FENGQIAO_SMS_TIMEOUT = int(os.environ.get("FENGQIAO_SMS_TIMEOUT_SECONDS", "10"))
# The site's address, put before a notice's link in an e-mail (blank: the path alone).
FENGQIAO_SITE_URL = os.environ.get("FENGQIAO_SITE_URL", "").rstrip("/")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON in and out, and nothing else.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Service refusals (403/409, common/refusals.py) and django ValidationErrors (400) are mapped in one place.
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fengqiao API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The default hook (enums as components), then the rules every request obeys (api.schema).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.text_rules"],
    "ENUM_NAME_OVERRIDES": {
        "PartyKindEnum": "casework.enums.PartyKind",
        "MediatorKindEnum": "mediation.enums.MediatorKind",
        "InspectionKindEnum": "grids.enums.InspectionKind",
        "ReportKindEnum": "reports.enums.ReportKind",
        # Three fields named "status" carry different choices: each its own name in the schema.
        "CaseStatusEnum": "casework.enums.CaseStatus",
        "JudicialConfirmationEnum": "mediation.enums.JudicialConfirmation",
        "ImportStateEnum": "ledger.enums.ImportState",
    },
}

# Deadlines (督办), in working days on the deployment's calendar (see casework.calendar).
FENGQIAO_ACCEPT_WORKING_DAYS = int(os.environ.get("FENGQIAO_ACCEPT_WORKING_DAYS", "3"))
# A mediation is concluded within one month of acceptance (若干规定 art. 33): calendar months, the
# last day moved to the next working day; extended once, by the same span. Each level of the ladder
# starts its own clock when it receives the case.
FENGQIAO_CONCLUDE_MONTHS = int(os.environ.get("FENGQIAO_CONCLUDE_MONTHS", "1"))
FENGQIAO_FOLLOW_UP_WORKING_DAYS = int(os.environ.get("FENGQIAO_FOLLOW_UP_WORKING_DAYS", "15"))
# Judicial confirmation (People's Mediation Law art. 33) is a statutory period in
# calendar days; only its last day moves to the next working day.
FENGQIAO_JUDICIAL_CONFIRMATION_DAYS = int(os.environ.get("FENGQIAO_JUDICIAL_CONFIRMATION_DAYS", "30"))
# The case's mediators are reminded this many days before the window closes, while nobody applied.
FENGQIAO_JUDICIAL_REMIND_DAYS = tuple(
    int(d) for d in os.environ.get("FENGQIAO_JUDICIAL_REMIND_DAYS", "7,1").split(",") if d.strip()
)
# The calendar's horizon (casework.calendar.horizon_gaps): warn when a deadline running now, or
# one a case registered in the next LOOKAHEAD days could get, falls in a year whose calendar has
# fewer than MIN_DAYS rows. The official calendars since 2004 hold 21–35 overrides a year.
FENGQIAO_CALENDAR_LOOKAHEAD_DAYS = int(os.environ.get("FENGQIAO_CALENDAR_LOOKAHEAD_DAYS", "90"))
FENGQIAO_CALENDAR_MIN_DAYS = int(os.environ.get("FENGQIAO_CALENDAR_MIN_DAYS", "20"))
# Early warning (预警): group disputes and repeat disputes.
FENGQIAO_WARNING_MIN_PARTIES = 5
FENGQIAO_REPEAT_WINDOW_DAYS = 365
# API tokens expire after this many days (createtoken --days overrides it per token).
FENGQIAO_API_TOKEN_DAYS = int(os.environ.get("FENGQIAO_API_TOKEN_DAYS", "90"))
# The intake page's duplicate hint: lookups per user per window (each one audited).
FENGQIAO_DUPLICATE_HINT_LIMIT = int(os.environ.get("FENGQIAO_DUPLICATE_HINT_LIMIT", "30"))
FENGQIAO_DUPLICATE_HINT_WINDOW_SECONDS = 600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_on_one_line": {"()": "common.logging.RefusalsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # fpdf2's font subsetting (PDF exports) logs every glyph at INFO.
        "fontTools": {"level": "WARNING"},
        # A refused request logs one line (who was refused where), not a traceback.
        "django.request": {"filters": ["refusals_on_one_line"]},
    },
}

# Statistics and reports (日报 / 月报).
FENGQIAO_STATS_SINCE = dt.date.fromisoformat(os.environ.get("FENGQIAO_STATS_SINCE", "2020-01-01"))
# 信息责任追究: a case registered more than this many working days after the dispute occurred is late.
FENGQIAO_LATE_REGISTRATION_WORKING_DAYS = int(os.environ.get("FENGQIAO_LATE_REGISTRATION_WORKING_DAYS", "1"))
# Daily reports are due on the days of a sensitive period; this makes them due every day.
FENGQIAO_DAILY_REPORT_EVERY_DAY = env_bool("FENGQIAO_DAILY_REPORT_EVERY_DAY", False)
FENGQIAO_DAILY_REPORT_HOUR = 18
FENGQIAO_MONTHLY_REPORT_HOUR = 8
# How far back the catch-up step looks for reports missed while the system was down.
FENGQIAO_CATCH_UP_DAYS = int(os.environ.get("FENGQIAO_CATCH_UP_DAYS", "31"))
FENGQIAO_CATCH_UP_MONTHS = int(os.environ.get("FENGQIAO_CATCH_UP_MONTHS", "3"))
# Deadline reminders go out this many days before a deadline, and on the day itself.
FENGQIAO_REMIND_DAYS_BEFORE = int(os.environ.get("FENGQIAO_REMIND_DAYS_BEFORE", "1"))

# Pages of higher (or sibling) apps that an app's own pages link to: named here, so that no app
# names a URL of an app above it: links, like imports, run only downward.
FENGQIAO_CASE_URL_NAME = "mediation:case"
FENGQIAO_RETURN_URL_NAME = "reports:inspections"
# The case page's 类案参考 panel, loaded from the analysis (it takes the case's pk).
FENGQIAO_SIMILAR_URL_NAME = "analysis:similar"
FENGQIAO_QUEUE_EXPORT_URL_NAMES = {"ledger": "ledger:export_queue"}
FENGQIAO_FIGURE_EXPORT_URL_NAMES = {"ledger": "ledger:export_report"}

# Celery. Production and tests use Redis (REDIS_URL). Without it (`make run`) the broker is
# the embedded Redis server that `make run` starts on a Unix socket under the var dir
# (config/broker.py): the same transport and settings as production, acknowledgements and
# visibility timeout included. A message a worker took and did not acknowledge (it died) is
# delivered again once the visibility timeout has passed: every task is idempotent
# (docs/deployment.md says how), and the timeout is longer than any task runs.
CELERY_BROKER_URL = REDIS_URL or f"redis+socket://{VAR_DIR.resolve() / 'redis.sock'}"
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("FENGQIAO_BROKER_VISIBILITY_TIMEOUT", "3600")),
    # How often a worker looks for messages whose timeout has passed (those of a worker that died)
    # and queues them again: every scan, at this interval (kombu's own default comes to ~100 s).
    "unacked_restore_interval": int(os.environ.get("FENGQIAO_BROKER_RESTORE_SECONDS", "100")),
    "unacked_restore_throttle": 1,
}
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_IGNORE_RESULT = not REDIS_URL
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if REDIS_URL:
    # One scheduler however many machines start one: the schedule's state (each entry's last run)
    # lives in Redis, and only the beat holding the lock there sends anything. The holder renews
    # its lease every loop; another beat waits, and takes over within a lease once the holder is
    # gone, from the same last runs: nothing sent twice, nothing skipped.
    CELERY_BEAT_SCHEDULER = "redbeat.RedBeatScheduler"
    CELERY_REDBEAT_REDIS_URL = REDIS_URL
    CELERY_REDBEAT_KEY_PREFIX = "fengqiao:beat"
    # The connection is its own: the broker's transport options are not the lock's.
    CELERY_REDBEAT_REDIS_OPTIONS = {}
    CELERY_BEAT_MAX_LOOP_INTERVAL = int(os.environ.get("FENGQIAO_BEAT_LOOP_SECONDS", "10"))
    CELERY_REDBEAT_LOCK_TIMEOUT = int(os.environ.get("FENGQIAO_BEAT_LEASE_SECONDS", "60"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Security. Sign-in throttling: 5 failures lock that username from that address for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "grids.backends.attempted_username"

# Two-factor sign-in (grids.twofactor): required of centre staff, leaders and administrators where on;
# on by default in production, off for the `make run` demo (its sign-in page says so).
FENGQIAO_REQUIRE_2FA = env_bool("FENGQIAO_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "枫桥")
# A session unused this long ends (a warning shows a minute before), besides the 8-hour limit.
FENGQIAO_IDLE_TIMEOUT = int(os.environ.get("FENGQIAO_IDLE_TIMEOUT_MINUTES", "30")) * 60

# Sessions end 8 hours after sign-in (a working day) and with the browser. Not renewed on every
# request: that would cost a write per page.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = False
# Read from the cache (Redis; the file cache under `make run`) and written through to the database,
# so that a flushed cache signs nobody out: a page costs one cache read for its session, no query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline scripts anywhere: every script is a static file of our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # htmx adds its indicator style inline; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

if PRODUCTION:
    # Behind the intranet's TLS-terminating proxy (docs/deployment.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
