#!/usr/bin/env bash
# Runs the Dockerfile's build-stage steps outside Docker (CI has no Docker engine):
#   1. npm ci  2. npm run build  3. npm prune --omit=dev  4. start the pruned app against the fakes.
# Must run from the repo root after the main `npm ci` (it reuses that install's test tooling).
set -euo pipefail
repo="$(pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The same files the build stage COPYs.
cp package.json package-lock.json tsconfig.json ormconfig.ts "$work/"
cp -r src commands migrations scripts "$work/"

cd "$work"
# Native modules compile from source here and take minutes: install without scripts and reuse
# the better-sqlite3 binary the main install already compiled for this same Node ABI.
npm ci --no-audit --no-fund --ignore-scripts
cp -r "$repo/node_modules/better-sqlite3/build" node_modules/better-sqlite3/
npm run build
npm prune --omit=dev --no-audit --no-fund
test ! -e node_modules/vitest || { echo "dev dependencies survived the prune" >&2; exit 1; }
test -f dist/src/main.js

cd "$repo"
BUILT_APP_DIR="$work" npx vitest run --config tests/built-app/vitest.config.ts
