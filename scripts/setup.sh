#!/usr/bin/env bash
# Installs whatever is missing for Vigil on a fresh Debian machine with Node 20, then builds.
# Idempotent: a second run does nothing but a quick build check.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || need_apt+=(redis-sentinel)
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
/usr/bin/python3 -c 'import redis' >/dev/null 2>&1 || need_apt+=(python3-redis)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "vigil setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q redis-server redis-sentinel redis-tools python3-redis >/dev/null
  # Debian starts the packaged services where systemd runs; Vigil's demo and tests start their own.
  $SUDO service redis-server stop >/dev/null 2>&1 || true
  $SUDO service redis-sentinel stop >/dev/null 2>&1 || true
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "vigil setup: installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -p tsconfig.json
