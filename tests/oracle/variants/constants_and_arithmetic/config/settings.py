from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "kq3v8w2n5t7y1u4i6o9p0a2s4d6f8g1h3j5k7l9z2x4c6v8b0n1m3"

ONE_DAY = 60 * 60 * 24
DEBUG = bool(0)
ALLOWED_HOSTS = ["example.com"] + ["www.example.com"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "csp",
    "axes",
]

BASE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
]
MIDDLEWARE = BASE_MIDDLEWARE + ["django.middleware.csrf.CsrfViewMiddleware"]

SECURE_HSTS_SECONDS = ONE_DAY * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = SECURE_HSTS_INCLUDE_SUBDOMAINS
AXES_FAILURE_LIMIT = 2 + 1
AXES_COOLOFF_TIME = 0.5
