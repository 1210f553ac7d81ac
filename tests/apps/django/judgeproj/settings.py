"""Settings of the small Django project that judges cutover (tests/apps/judge.py).

Two databases, both from the environment:

- ``source``: the SQLite file the application ran on (CUTOVER_DJANGO_SOURCE, a path);
- ``default``: the server cutover moves it to (CUTOVER_DJANGO_ENGINE = postgres or
  mariadb, CUTOVER_DJANGO_NAME, and CUTOVER_DJANGO_HOST / _PORT / _USER / _PASSWORD).

USE_TZ is on, as in every new Django project: datetimes are stored in UTC.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

ENGINE = os.environ.get("CUTOVER_DJANGO_ENGINE", "postgres")

if ENGINE == "mariadb":
    # Django's MySQL backend imports MySQLdb (mysqlclient, a C extension that needs
    # libmariadb-dev and pkg-config to build). PyMySQL is pure Python and offers the
    # same module; Django also checks the version it reports (>= 2.2.1).
    import pymysql

    if pymysql.version_info < (2, 2, 1):
        pymysql.version_info = (2, 2, 1, "final", 0)
    pymysql.install_as_MySQLdb()

_server = {
    "NAME": os.environ.get("CUTOVER_DJANGO_NAME", "cutover_apps_django"),
    "HOST": os.environ.get("CUTOVER_DJANGO_HOST", "127.0.0.1"),
    "USER": os.environ.get("CUTOVER_DJANGO_USER", "postgres" if ENGINE == "postgres" else "root"),
    "PASSWORD": os.environ.get("CUTOVER_DJANGO_PASSWORD", ""),
    "PORT": os.environ.get("CUTOVER_DJANGO_PORT", "5432" if ENGINE == "postgres" else "3306"),
}
if ENGINE == "postgres":
    _server["ENGINE"] = "django.db.backends.postgresql"
elif ENGINE == "mariadb":
    _server["ENGINE"] = "django.db.backends.mysql"
    _server["OPTIONS"] = {"charset": "utf8mb4"}
else:
    raise RuntimeError(f"CUTOVER_DJANGO_ENGINE must be postgres or mariadb, not {ENGINE!r}")

DATABASES = {
    "default": _server,
    "source": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CUTOVER_DJANGO_SOURCE", str(BASE_DIR / "source.sqlite3")),
    },
}

SECRET_KEY = "judge-only-not-a-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["localhost", "testserver"]
STATIC_URL = "static/"
USE_TZ = True
TIME_ZONE = "Europe/Berlin"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "shop",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "judgeproj.urls"
