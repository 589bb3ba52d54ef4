#!/usr/bin/env python3
"""Write the Apache logs of the bundled demo site (assets/demo/var/log/apache2).

The logs tell the story of a fresh deploy of aijack.example.com in November
2026: Apache installed on the 9th, a first start that fails because .env does
not exist yet, then a few days of ordinary traffic mixed with the scanner
probes every public server sees. The output is deterministic (fixed seed and
clock) so re-running the script changes nothing unless the script changes.

Every client address is from the documentation ranges (RFC 5737). Nothing in
these logs is a secret: the failing start names the missing variable, never a
value.

Usage: python3 scripts/gen-demo-logs.py [--out DIR]
"""

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261109
UTC = timezone.utc

CLIENTS = [f"192.0.2.{n}" for n in (14, 37, 58, 101, 163, 212)] + [
    f"198.51.100.{n}" for n in (7, 23, 45, 88, 120, 199, 240)
]
SCANNERS = [f"203.0.113.{n}" for n in (9, 17, 42, 66, 77, 131, 150, 201, 233)]
OPERATOR = "198.51.100.20"

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/26.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 26_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/26.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 16; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/142.0.0.0 Mobile Safari/537.36",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
]
SCANNER_AGENTS = [
    "Mozilla/5.0 zgrab/0.x",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "curl/7.88.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/90.0.4430.85 Safari/537.36",
    "Mozilla/5.0 (l9scan/2.0.; +https://leakix.net)",
]

SITE = "https://aijack.example.com"
POSTS = [
    "launching-aijack",
    "what-we-learned-from-the-beta",
    "pricing-update-november",
    "how-the-matcher-works",
]

# Paths a public server is probed for within hours of getting a name. The
# Django app answers each with its 404 page (DEBUG is off), so they show up in
# the access log only.
PROBES = [
    "/wp-login.php",
    "/wp-admin/setup-config.php",
    "/xmlrpc.php",
    "/.env",
    "/.env.production",
    "/.git/config",
    "/.aws/credentials",
    "/phpmyadmin/index.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
    "/actuator/health",
    "/config.json",
    "/admin.php",
    "/boaform/admin/formLogin",
    "/owa/auth/logon.aspx",
    "/.DS_Store",
    "/backup.zip",
    "/api/.env",
    "/debug/default/view?panel=config",
]

CERT_CA_WARNING = (
    "AH01906: aijack.example.com:443:0 server certificate is a CA certificate "
    "(BasicConstraints: CA == TRUE !?)"
)
NO_DIRECTORY_INDEX = (
    "AH01276: Cannot serve directory /srv/aijack/static/: No matching DirectoryIndex "
    "(index.html,index.cgi,index.pl,index.php,index.xhtml,index.htm) found, and "
    "server-generated directory index forbidden by Options directive"
)

# The first start of the site, before /srv/aijack/.env existed. Line numbers
# match the demo project's files and Django 5.2's sources.
MISSING_ENV_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/srv/aijack/config/wsgi.py", line 16, in <module>',
    "    application = get_wsgi_application()",
    "                  ^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/srv/aijack/.venv/lib/python3.11/site-packages/django/core/wsgi.py", line 12, '
    "in get_wsgi_application",
    "    django.setup(set_prefix=False)",
    '  File "/srv/aijack/.venv/lib/python3.11/site-packages/django/__init__.py", line 19, '
    "in setup",
    "    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)",
    "                      ^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/srv/aijack/.venv/lib/python3.11/site-packages/django/conf/__init__.py", '
    "line 81, in __getattr__",
    "    self._setup(name)",
    '  File "/srv/aijack/.venv/lib/python3.11/site-packages/django/conf/__init__.py", '
    "line 68, in _setup",
    "    self._wrapped = Settings(settings_module)",
    "                    ^^^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/srv/aijack/.venv/lib/python3.11/site-packages/django/conf/__init__.py", '
    "line 166, in __init__",
    "    mod = importlib.import_module(self.SETTINGS_MODULE)",
    "          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "/usr/lib/python3.11/importlib/__init__.py", line 126, in import_module',
    "    return _bootstrap._gcd_import(name[level:], package, level)",
    "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
    '  File "<frozen importlib._bootstrap>", line 1206, in _gcd_import',
    '  File "<frozen importlib._bootstrap>", line 1178, in _find_and_load',
    '  File "<frozen importlib._bootstrap>", line 1149, in _find_and_load_unlocked',
    '  File "<frozen importlib._bootstrap>", line 690, in _load_unlocked',
    '  File "<frozen importlib._bootstrap_external>", line 940, in exec_module',
    '  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed',
    '  File "/srv/aijack/config/settings.py", line 23, in <module>',
    '    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]',
    "                 ~~~~~~~~~~^^^^^^^^^^^^^^^^^^^^^",
    '  File "<frozen os>", line 679, in __getitem__',
    "KeyError: 'DJANGO_SECRET_KEY'",
]

MODSECURITY_STARTUP = [
    "ModSecurity for Apache/2.9.7 (http://www.modsecurity.org/) configured.",
    'ModSecurity: APR compiled version="1.7.2"; loaded version="1.7.2"',
    'ModSecurity: PCRE2 compiled version="10.42 "; loaded version="10.42 2022-12-11"',
    'ModSecurity: LUA compiled version="Lua 5.1"',
    'ModSecurity: YAJL compiled version="2.1.0"',
    'ModSecurity: LIBXML compiled version="2.9.14"',
    "ModSecurity: Status engine is currently disabled, enable it by set SecStatusEngine to On.",
]


def access_time(t):
    return t.strftime("[%d/%b/%Y:%H:%M:%S +0000]")


def error_time(t):
    return t.strftime("[%a %b %d %H:%M:%S.") + f"{t.microsecond:06d} {t.year}]"


class Logs:
    """Accumulates lines of the four files, each kept in time order."""

    def __init__(self, rng):
        self.rng = rng
        self.site_access = []
        self.site_error = []
        self.main_access = []
        self.main_error = []
        self.parent_pid = 812
        self.children = [1123, 1124]

    def tid(self):
        return 140_245_000_000_000 + self.rng.randrange(0, 9_999_999) * 64

    def child(self):
        return self.rng.choice(self.children)

    def request(self, t, ip, method, path, status, size, agent, referer="-", log=None):
        size_field = str(size) if size else "-"
        line = (
            f'{ip} - - {access_time(t)} "{method} {path} HTTP/1.1" {status} {size_field} '
            f'"{referer}" "{agent}"'
        )
        (log if log is not None else self.site_access).append((t, line))

    def connection(self, pid=None):
        """The (pid, thread, client port) that handle one request."""
        pid = pid if pid is not None else self.child()
        return pid, self.tid(), self.rng.randrange(32768, 61000)

    def error(self, t, module, level, text, client=None, pid=None, log=None, remote=False,
              conn=None):
        pid, tid, port = conn if conn is not None else self.connection(pid)
        prefix = f"{error_time(t)} [{module}:{level}] [pid {pid}:tid {tid}]"
        if client:
            word = "remote" if remote else "client"
            prefix += f" [{word} {client}:{port}]"
        (log if log is not None else self.site_error).append((t, f"{prefix} {text}"))

    def server_start(self, t, graceful=False):
        """What the main error log shows when Apache (re)starts."""
        pid = self.parent_pid
        main_thread = (pid, 140_245_633_197_952, 0)
        if graceful:
            self.error(t, "mpm_event", "notice", "AH00493: SIGUSR1 received.  Doing graceful restart",
                       log=self.main_error, conn=main_thread)
        for offset, line in enumerate(MODSECURITY_STARTUP):
            self.error(t + timedelta(microseconds=offset * 37), "security2", "notice", line,
                       log=self.main_error, conn=main_thread)
        self.error(t + timedelta(milliseconds=2), "ssl", "warn", CERT_CA_WARNING,
                   log=self.main_error, conn=main_thread)
        self.error(t + timedelta(milliseconds=9), "mpm_event", "notice",
                   "AH00489: Apache/2.4.71 (Debian) OpenSSL/3.0.22 mod_wsgi/4.9.4 Python/3.11 "
                   "configured -- resuming normal operations",
                   log=self.main_error, conn=main_thread)
        self.error(t + timedelta(milliseconds=9, microseconds=80), "core", "notice",
                   "AH00094: Command line: '/usr/sbin/apache2'",
                   log=self.main_error, conn=main_thread)


def install_day(logs, start):
    """Apache installed with the default site; the operator checks it answers."""
    rng = logs.rng
    t = start
    main_thread = (611, 140_245_633_197_952, 0)
    logs.error(t, "mpm_event", "notice",
               "AH00489: Apache/2.4.71 (Debian) configured -- resuming normal operations",
               log=logs.main_error, conn=main_thread)
    logs.error(t + timedelta(microseconds=90), "core", "notice",
               "AH00094: Command line: '/usr/sbin/apache2'", log=logs.main_error, conn=main_thread)
    for ip, agent in (("127.0.0.1", "curl/7.88.1"), ("::1", "curl/7.88.1"),
                      (OPERATOR, BROWSERS[2]), (OPERATOR, BROWSERS[2])):
        t += timedelta(seconds=rng.randrange(20, 200))
        logs.request(t, ip, "GET", "/", 200, 10926, agent, log=logs.main_access)
    t += timedelta(seconds=2)
    logs.request(t, OPERATOR, "GET", "/icons/openlogo-75.png", 200, 6341, BROWSERS[2],
                 referer="http://aijack.example.com/", log=logs.main_access)
    t += timedelta(seconds=1)
    logs.request(t, OPERATOR, "GET", "/favicon.ico", 404, 493, BROWSERS[2],
                 referer="http://aijack.example.com/", log=logs.main_access)
    t += timedelta(minutes=40)
    logs.error(t, "mpm_event", "notice",
               "AH00491: caught SIGTERM, shutting down", log=logs.main_error, conn=main_thread)


def failed_first_start(logs, start):
    """The site enabled before .env existed: every request is a 500."""
    rng = logs.rng
    logs.server_start(start)
    t = start
    for _ in range(6):
        t += timedelta(seconds=rng.randrange(15, 90))
        logs.request(t, OPERATOR, "GET", "/", 500, 771, BROWSERS[2])
        daemon = rng.choice((1187, 1188))
        conn = logs.connection(daemon)
        when = t - timedelta(milliseconds=rng.randrange(40, 300))
        logs.error(when, "wsgi", "error",
                   f"mod_wsgi (pid={daemon}): Failed to exec Python script file "
                   "'/srv/aijack/config/wsgi.py'.",
                   client=OPERATOR, remote=True, conn=conn)
        logs.error(when, "wsgi", "error",
                   f"mod_wsgi (pid={daemon}): Exception occurred processing WSGI script "
                   "'/srv/aijack/config/wsgi.py'.",
                   client=OPERATOR, remote=True, conn=conn)
        for line in MISSING_ENV_TRACEBACK:
            logs.error(when, "wsgi", "error", line, client=OPERATOR, remote=True, conn=conn)
    return t


def visitor_session(logs, t):
    """A person reading a post or two, with the static files the pages pull in."""
    rng = logs.rng
    ip = rng.choice(CLIENTS)
    agent = rng.choice(BROWSERS)
    referer = rng.choice(["-", "https://www.google.com/", "https://news.example.net/",
                          "https://duckduckgo.com/"])
    logs.request(t, ip, "GET", "/", 200, rng.randrange(4800, 5600), agent, referer=referer)
    t += timedelta(milliseconds=rng.randrange(80, 400))
    logs.request(t, ip, "GET", "/static/css/site.css", 200, 412, agent, referer=f"{SITE}/")
    t += timedelta(milliseconds=rng.randrange(10, 90))
    logs.request(t, ip, "GET", "/favicon.ico", 404, 179, agent, referer=f"{SITE}/")
    for _ in range(rng.randrange(0, 3)):
        t += timedelta(seconds=rng.randrange(5, 240))
        slug = rng.choice(POSTS)
        logs.request(t, ip, "GET", f"/{slug}/", 200, rng.randrange(6100, 9800), agent,
                     referer=f"{SITE}/")
        if slug == "launching-aijack":
            t += timedelta(milliseconds=rng.randrange(60, 300))
            logs.request(t, ip, "GET", "/media/uploads/launch-cover.png", 200, 78, agent,
                         referer=f"{SITE}/{slug}/")
    if rng.random() < 0.15:
        # An old link without the trailing slash: CommonMiddleware redirects.
        t += timedelta(seconds=rng.randrange(5, 60))
        slug = rng.choice(POSTS)
        logs.request(t, ip, "GET", f"/{slug}", 301, 0, agent, referer="-")
        t += timedelta(milliseconds=rng.randrange(40, 200))
        logs.request(t, ip, "GET", f"/{slug}/", 200, rng.randrange(6100, 9800), agent)
    return t


def crawler_visit(logs, t):
    rng = logs.rng
    ip = rng.choice(CLIENTS)
    agent = rng.choice(BOTS)
    logs.request(t, ip, "GET", "/robots.txt", 404, 179, agent)
    for slug in rng.sample(POSTS, k=rng.randrange(1, len(POSTS) + 1)):
        t += timedelta(seconds=rng.randrange(1, 30))
        logs.request(t, ip, "GET", f"/{slug}/", 200, rng.randrange(6100, 9800), agent)
    if rng.random() < 0.3:
        t += timedelta(seconds=rng.randrange(1, 30))
        logs.request(t, ip, "GET", "/gone-post/", 404, 179, agent)


def admin_visit(logs, t):
    """The operator logs in to the admin; once the CSRF cookie had expired."""
    rng = logs.rng
    agent = BROWSERS[2]
    logs.request(t, OPERATOR, "GET", "/admin", 301, 0, agent)
    t += timedelta(milliseconds=120)
    logs.request(t, OPERATOR, "GET", "/admin/", 302, 0, agent)
    t += timedelta(milliseconds=110)
    logs.request(t, OPERATOR, "GET", "/admin/login/?next=/admin/", 200, 4158, agent)
    t += timedelta(seconds=rng.randrange(6, 20))
    if rng.random() < 0.25:
        logs.request(t, OPERATOR, "POST", "/admin/login/?next=/admin/", 403, 2506, agent,
                     referer=f"{SITE}/admin/login/?next=/admin/")
        t += timedelta(seconds=rng.randrange(3, 10))
        logs.request(t, OPERATOR, "GET", "/admin/login/?next=/admin/", 200, 4158, agent)
        t += timedelta(seconds=rng.randrange(6, 20))
    logs.request(t, OPERATOR, "POST", "/admin/login/?next=/admin/", 302, 0, agent,
                 referer=f"{SITE}/admin/login/?next=/admin/")
    t += timedelta(milliseconds=150)
    logs.request(t, OPERATOR, "GET", "/admin/", 200, 7212, agent,
                 referer=f"{SITE}/admin/login/?next=/admin/")
    t += timedelta(seconds=rng.randrange(20, 120))
    logs.request(t, OPERATOR, "GET", "/admin/blog/post/", 200, 9731, agent,
                 referer=f"{SITE}/admin/")
    if rng.random() < 0.5:
        # Saving a post whose publish date came from an import script without
        # a time zone: Django warns on stderr, which mod_wsgi logs.
        t += timedelta(seconds=rng.randrange(30, 300))
        logs.request(t, OPERATOR, "POST", "/admin/blog/post/2/change/", 302, 0, agent,
                     referer=f"{SITE}/admin/blog/post/2/change/")
        conn = logs.connection(rng.choice((1187, 1188)))
        naive = (t - timedelta(days=rng.randrange(1, 4))).strftime("%Y-%m-%d 09:00:00")
        logs.error(t, "wsgi", "error",
                   "/srv/aijack/.venv/lib/python3.11/site-packages/django/db/models/fields/"
                   "__init__.py:1669: RuntimeWarning: DateTimeField Post.created received a "
                   f"naive datetime ({naive}) while time zone support is active.",
                   client=OPERATOR, remote=True, conn=conn)
        logs.error(t, "wsgi", "error", "  warnings.warn(", client=OPERATOR, remote=True,
                   conn=conn)
    if rng.random() < 0.3:
        # A slow save that outlived the daemon's request timeout.
        t += timedelta(seconds=rng.randrange(20, 90))
        logs.request(t, OPERATOR, "POST", "/admin/blog/post/3/change/", 504, 247, agent,
                     referer=f"{SITE}/admin/blog/post/3/change/")
        logs.error(t, "wsgi", "error",
                   "Timeout when reading response headers from daemon process 'aijack': "
                   "/srv/aijack/config/wsgi.py, referer: "
                   f"{SITE}/admin/blog/post/3/change/",
                   client=OPERATOR)


def scanner_burst(logs, t):
    """One scanner address walking a list of well-known paths."""
    rng = logs.rng
    ip = rng.choice(SCANNERS)
    agent = rng.choice(SCANNER_AGENTS)
    for path in rng.sample(PROBES, k=rng.randrange(3, 9)):
        t += timedelta(milliseconds=rng.randrange(100, 2500))
        method = "POST" if path == "/boaform/admin/formLogin" else "GET"
        logs.request(t, ip, method, path, 404, 179, agent)
    roll = rng.random()
    if roll < 0.25:
        t += timedelta(milliseconds=rng.randrange(100, 900))
        path = "/cgi-bin/.%2e/.%2e/.%2e/.%2e/.%2e/bin/sh"
        logs.request(t, ip, "POST", path, 400, 226, agent)
        logs.error(t, "core", "error", f"AH10244: invalid URI path ({path})", client=ip)
    elif roll < 0.45:
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/static/", 403, 199, agent)
        logs.error(t, "autoindex", "error", NO_DIRECTORY_INDEX, client=ip)
    elif roll < 0.6:
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/server-status", 403, 199, agent)
        logs.error(t, "authz_core", "error",
                   "AH01630: client denied by server configuration: /srv/aijack/config/wsgi.py",
                   client=ip)
    elif roll < 0.75:
        # Directory listing is on for /media/, and scanners find it.
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/media/", 200, 1062, agent)
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/media/uploads/", 200, 1214, agent)
    elif roll < 0.85:
        # A TLS client hello sent to port 80.
        logs.site_access.append(
            (t, f'{ip} - - {access_time(t)} "\\x16\\x03\\x01\\x02" 400 226 "-" "-"'))
        logs.error(t, "core", "error", "AH00135: Invalid method in request \\x16\\x03\\x01\\x02",
                   client=ip)
    elif roll < 0.92:
        # A TLS scanner trying client-initiated renegotiation on port 443.
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "HEAD", "/", 200, 0, agent)
        logs.error(t, "ssl", "error", "AH02042: rejecting client initiated renegotiation",
                   client=ip)
    else:
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "POST", "/", 405, 0, agent)
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/?s=../../../../etc/passwd", 200, 5120, agent)
        t += timedelta(milliseconds=rng.randrange(100, 900))
        logs.request(t, ip, "GET", "/index.php?page=php://filter/resource=/etc/passwd", 404, 179,
                     agent)


def ordinary_days(logs, first_day, days, first_second):
    """Traffic from first_second of first_day on, for the given number of days."""
    rng = logs.rng
    for day in range(days):
        midnight = first_day + timedelta(days=day)
        earliest = first_second if day == 0 else 0

        def at(low, high, earliest=earliest):
            return rng.randrange(max(low, earliest), max(high, earliest + 1))

        events = []
        for _ in range(rng.randrange(9, 14)):
            events.append((at(7 * 3600, 23 * 3600), visitor_session))
        for _ in range(rng.randrange(2, 4)):
            events.append((at(0, 86000), crawler_visit))
        for _ in range(rng.randrange(3, 6)):
            events.append((at(0, 86000), scanner_burst))
        if rng.random() < 0.7:
            events.append((at(8 * 3600, 19 * 3600), admin_visit))
        for seconds, event in sorted(events, key=lambda e: e[0]):
            t = midnight + timedelta(seconds=seconds, microseconds=rng.randrange(0, 999_999))
            event(logs, t)
        # logrotate's nightly run reloads Apache.
        reload_at = midnight + timedelta(days=1, seconds=rng.randrange(5, 40))
        logs.server_start(reload_at, graceful=True)


def write(path, entries):
    lines = [line for _, line in sorted(entries, key=lambda e: e[0])]
    path.write_text("".join(line + "\n" for line in lines))
    return len(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_out = Path(__file__).resolve().parent.parent / "assets/demo/var/log/apache2"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()

    logs = Logs(random.Random(SEED))
    install_day(logs, datetime(2026, 11, 9, 13, 41, 8, 204511, tzinfo=UTC))
    t = failed_first_start(logs, datetime(2026, 11, 9, 15, 1, 37, 590122, tzinfo=UTC))
    logs.server_start(t + timedelta(minutes=17, seconds=12), graceful=True)
    # From 15:30 on the 9th the site works; five more days follow.
    ordinary_days(logs, datetime(2026, 11, 9, tzinfo=UTC), days=6, first_second=15 * 3600 + 1800)

    args.out.mkdir(parents=True, exist_ok=True)
    counts = {
        "aijack_access.log": write(args.out / "aijack_access.log", logs.site_access),
        "aijack_error.log": write(args.out / "aijack_error.log", logs.site_error),
        "access.log": write(args.out / "access.log", logs.main_access),
        "error.log": write(args.out / "error.log", logs.main_error),
        "other_vhosts_access.log": write(args.out / "other_vhosts_access.log", []),
    }
    for name, count in counts.items():
        print(f"{count:5d} {args.out / name}")


if __name__ == "__main__":
    main()
