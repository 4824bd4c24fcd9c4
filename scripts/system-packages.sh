#!/usr/bin/env bash
# Installs the Debian packages the service and its tests need, when they are missing:
# Pango for WeasyPrint's PDFs and Chromium for the browser test of the resident form.
set -euo pipefail

needed=()
for package in libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core chromium; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || needed+=("$package")
done
[ ${#needed[@]} -eq 0 ] && exit 0

echo "Installing system packages: ${needed[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Please install as root: apt-get install ${needed[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
