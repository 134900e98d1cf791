#!/usr/bin/env bash
# Debian packages for the browser test: chromium (driven by playwright, no browser download) and
# a CJK font so Chinese pages render in it. Skips what is already installed.
set -euo pipefail
needed=()
command -v chromium >/dev/null || needed+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || needed+=(fonts-noto-cjk)
[ ${#needed[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${needed[@]}"
