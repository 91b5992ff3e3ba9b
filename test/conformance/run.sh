#!/usr/bin/env bash
# Upstream's [Conformance] tests against `skiff server` (simulated nodes): builds e2e.test once (cached, see
# build-e2e.sh), builds Skiff's TypeScript, then runs run.mjs with the arguments given here, e.g.
#   bash test/conformance/run.sh --timeout 120 --limit 20
#   bash test/conformance/run.sh --list
# Results go to test/conformance/results/<date>.txt. Not part of CI's default run.
set -euo pipefail
cd "$(dirname "$0")/../.."
E2E=$(bash test/conformance/build-e2e.sh | tail -1)
[[ "${SKIFF_CONFORMANCE_NO_BUILD:-}" == 1 ]] || npm run --silent build:ts
exec node test/conformance/run.mjs --e2e "$E2E" "$@"
