#!/usr/bin/env bash
# Validates docker-compose.yml with whichever Compose client this machine has; neither needs a running engine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Secrets the file requires at `up` time; for the syntax check a placeholder will do.
export PD_MASTER_KEY=${PD_MASTER_KEY:-validation-only}
if docker compose version >/dev/null 2>&1; then
  docker compose -f docker-compose.yml config -q && echo "compose: docker-compose.yml is valid (docker compose)"
elif command -v docker-compose >/dev/null 2>&1; then
  docker-compose -f docker-compose.yml config -q && echo "compose: docker-compose.yml is valid (docker-compose $(docker-compose version --short))"
else
  echo "compose: NOT VALIDATED — no Compose client here (install the docker compose plugin or docker-compose)" >&2
  exit 3
fi
