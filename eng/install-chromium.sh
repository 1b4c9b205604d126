#!/usr/bin/env bash
# Installs Debian's chromium, which tests/DeepSeek.Cli.Tests runs headless to render the HTML compression report.
# Run by that project's build (target InstallChromium) when /usr/bin/chromium is missing; safe to run again.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "eng/install-chromium.sh: error: /usr/bin/chromium is missing and apt-get was not found; install Chromium so that /usr/bin/chromium exists (the HTML report tests render with it)" >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  run() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
  run() { sudo "$@"; }
else
  echo "eng/install-chromium.sh: error: /usr/bin/chromium is missing, and installing it needs root: run 'apt-get install chromium' as root, or this script with sudo" >&2
  exit 1
fi

echo "eng/install-chromium.sh: apt-get install chromium (for the HTML report tests)"
export DEBIAN_FRONTEND=noninteractive
run apt-get update
run apt-get install -y --no-install-recommends chromium

if [ ! -x /usr/bin/chromium ]; then
  echo "eng/install-chromium.sh: error: apt-get installed chromium but /usr/bin/chromium is missing" >&2
  exit 1
fi
