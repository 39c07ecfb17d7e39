#!/usr/bin/env bash
# Create .venv and install the project into it (called by the Makefile on first use).
# On Debian, `python3 -m venv` needs the python3-venv package: install it when we
# can (root with apt-get), otherwise say exactly what to run.
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if [ ! -x "$venv/bin/python" ]; then
  if ! "$python" -m venv "$venv" 2>/tmp/bookbuild-venv.err; then
    rm -rf "$venv"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "python3 -m venv failed; installing Debian's python3-venv…"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; }
      "$python" -m venv "$venv"
    else
      cat /tmp/bookbuild-venv.err >&2
      echo "error: cannot create $venv; install the venv module first: sudo apt-get install python3-venv" >&2
      exit 2
    fi
  fi
fi
echo "setting up $venv (first run only)…"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
