#!/usr/bin/env bash
# The full test suite: setup, type-aware lint, format check, then every test against real servers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
node scripts/run-tests.mjs "$@"
