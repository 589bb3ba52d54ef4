"""Prints, as JSON, what Django itself makes of a project's settings: the
effective value of every setting the Django checklist items read, whether
the settings module sets it, the installed versions, and the ids that
`manage.py check --deploy` reports.

Run with the test virtualenv's python, the project directory as the current
directory and DJANGO_SETTINGS_MODULE set. Secrets are not printed.
"""

import datetime
import io
import json
import os
import re
import sys
from importlib import metadata

sys.path.insert(0, os.getcwd())

import django  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

READ = [
    "DEBUG",
    "ALLOWED_HOSTS",
    "MIDDLEWARE",
    "INSTALLED_APPS",
    "AUTHENTICATION_BACKENDS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_PROXY_SSL_HEADER",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_USE_SESSIONS",
    "X_FRAME_OPTIONS",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
    "SECURE_CSP",
]


def plain(value):
    """A JSON form of a settings value; what JSON lacks is tagged."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, datetime.timedelta):
        return {"__timedelta__": value.total_seconds()}
    if callable(value):
        return {"__callable__": repr(value)}
    return {"__object__": type(value).__name__}


def main():
    django.setup()
    names = READ + sorted(n for n in dir(settings) if n.startswith("CSP_"))
    values = {}
    for name in names:
        if hasattr(settings, name):
            values[name] = {
                "value": plain(getattr(settings, name)),
                "assigned": settings.is_overridden(name),
            }

    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check", deploy=True, stdout=out, stderr=err)
        report = out.getvalue() + err.getvalue()
    except Exception as error:  # SystemCheckError carries the report
        report = out.getvalue() + err.getvalue() + str(error)
    ids = sorted(set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", report)))

    versions = {}
    for package in ("django", "django-csp", "django-axes"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None

    json.dump({"settings": values, "check_deploy": ids, "versions": versions}, sys.stdout)


main()
