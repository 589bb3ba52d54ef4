#!/bin/sh
# Installs what portcullis's tests need on a Debian 12 machine, then prints the
# environment variables the tests read. Safe to run again: it does nothing
# that is already done, and a stamp file keyed on the Python requirement list
# keeps the second run to a fraction of a second.
#
# Runs as root (apt-get). Usage: scripts/test-setup.sh [VENV_DIR]
set -eu

repo=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)
venv=${1:-"$repo/.venv-test"}

# Debian packages: the real programs the tests run against.
debs="python3-venv logrotate openssl tmux curl apache2 libapache2-mod-security2 \
modsecurity-crs libapache2-mod-evasive libapache2-mod-wsgi-py3"

# Python packages for the virtual environment. Django 6 needs Python 3.12;
# Debian 12 ships 3.11, where the 5.2 LTS line is the newest.
python_requirements="Django>=5.2,<6
django-csp
django-axes
django-environ
python-decouple
python-dotenv
pillow
pip-audit
jsonschema"

missing=""
for deb in $debs; do
    if ! dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $deb"
    fi
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "test-setup: these Debian packages are missing:$missing" >&2
        echo "test-setup: run this script as root to install them" >&2
        exit 1
    fi
    # Only refresh the package lists when one of the packages is unknown to apt.
    for deb in $missing; do
        if ! apt-cache show "$deb" >/dev/null 2>&1; then
            apt-get update -q
            break
        fi
    done
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing; then
        # Stale package lists name versions the mirror no longer has.
        apt-get update -q
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
fi

# The virtual environment comes from Debian's interpreter, the one mod_wsgi
# embeds, never from a pyenv shim that may come first on PATH.
stamp="$venv/.portcullis-stamp"
wanted=$(printf '%s\n%s\n' "$python_requirements" "$(/usr/bin/python3 --version)" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    printf '%s\n' "$python_requirements" > "$venv/requirements.txt"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$venv/requirements.txt"
    echo "$wanted" > "$stamp"
fi

echo "export PORTCULLIS_TEST_PYTHON='$venv/bin/python'"
echo "export PORTCULLIS_TEST_PIP_AUDIT='$venv/bin/pip-audit'"
