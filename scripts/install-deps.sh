#!/usr/bin/env bash
# Installs every Debian 12 package reportd needs to build, run and test.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev sqlite3 zlib1g-dev libisal-dev libsimdjson-dev
  libpq-dev postgresql-15
  libhowardhinnant-date-dev tzdata
  libtomlplusplus-dev libsystemd-dev
  libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-noto-core fonts-droid-fallback poppler-utils
  libcpp-httplib-dev doctest-dev libseccomp-dev
  python3 python3-aiosmtpd python3-openpyxl python3-croniter python3-prometheus-client
  openssl ca-certificates procps systemd
  mold   # links the sanitizer builds (cmake/FastLink.cmake)
  faketime   # libfaketime: the DST and clock-step tests (tests/faults)
  debhelper dpkg-dev lintian fakeroot
)

# The real-client checks (jsforce, the Salesforce CLI) need Node.js and npm;
# a machine that already has a newer Node.js keeps it.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
