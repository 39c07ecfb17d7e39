#!/usr/bin/env bash
# The Debian packages the tests need (scripts/debian-packages.txt, or the list given: TeX Live, dvisvgm,
# librsvg, poppler, Chromium, epubcheck). Called by `make test` before pytest: installs what is
# missing when it can (root with apt-get, as `make pdf` does), otherwise says exactly
# what to run and stops (exit 2) rather than let a hundred tests fail obscurely.
set -euo pipefail
list="${1:-$(dirname "$0")/debian-packages.txt}"
mapfile -t wanted < <(grep -v '^\s*\(#\|$\)' "$list")

if ! command -v dpkg-query >/dev/null; then
  echo "warning: not a Debian system; the tests need the equivalents of: ${wanted[*]}" >&2
  exit 0
fi

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null && [ -z "${BOOKBUILD_NO_INSTALL:-}" ]; then
  echo "installing the Debian packages the tests need: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "error: the tests need Debian packages that are not installed: ${missing[*]}" >&2
echo "    help: run  sudo apt-get install -y --no-install-recommends ${missing[*]}  then make test again" >&2
exit 2
