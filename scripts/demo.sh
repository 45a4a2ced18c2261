#!/usr/bin/env bash
# The main job: a real primary with two replicas, watched by three Vigil monitors, a writer,
# a kill -9 of the primary, and the failover shown as it happens.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node dist/src/cli/vigil.js demo "$@"
