#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the dev stack and the tests need.
# Runs apt-get only for what is missing; needs root for that.
set -euo pipefail

PACKAGES=(
    build-essential pkg-config clang clang-format clang-tidy cppcheck libclang-rt-14-dev
    libulfius-dev liborcania-dev libyder-dev libjansson-dev libjwt-dev libhiredis-dev
    libnats-dev libpq-dev libcurl4-gnutls-dev libgnutls28-dev libmicrohttpd-dev
    libcrypt-dev check libsubunit-dev
    libcairo2-dev libpango1.0-dev fontconfig fonts-dejavu-core poppler-utils
    postgresql redis-server nats-server curl iproute2 procps stress-ng
    # the web console (console/): nginx serves it, Chart.js and the Inter font come from
    # Debian and are served from the console's own origin; the browser suite drives Debian's
    # Chromium through chromedriver with Debian's Selenium (run with /usr/bin/python3)
    nginx libjs-chart.js fonts-inter chromium chromium-driver python3-selenium
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       run as root:  apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "==> installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
