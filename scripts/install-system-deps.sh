#!/usr/bin/env bash
# Debian packages the system and its tests need: a browser for page tests, libfaketime to start the
# Temporal test server on a chosen date, PostgreSQL for the database tests, CJK fonts for letters
# and screenshots, pango for weasyprint's PDF letters, poppler-utils to read letters back in tests.
# Installs only what is missing. `install-system-deps.sh run`: only what running the system needs.
set -euo pipefail
need=()
if [ "${1:-}" != run ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v faketime >/dev/null || need+=(faketime)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
fi
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
echo "installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
