#!/usr/bin/env bash
# The test command: installs what the tests need (idempotently, cached) and runs them.
#   scripts/test.sh            # everything
#   scripts/test.sh <filter>   # passes extra arguments to `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

# Real servers and tools the tests use: a Synapse homeserver (PyPI, into .cache/) for Matrix,
# Debian's Chromium with axe-core (npm) for the web page, Debian's PostgreSQL for the archive
# engine (each test binary starts a throwaway cluster), a Bluesky PDS (npm, into .cache/), and
# the Open Civic Data (pupa) and BagIt (bagit) validators (PyPI, into .cache/) for exports. Every install is cached.
if [ -f scripts/synapse.sh ]; then
  echo "== installing Synapse (cached)"
  bash scripts/synapse.sh install
fi
if [ -f scripts/browser-deps.sh ]; then
  echo "== installing Chromium and axe-core (cached)"
  bash scripts/browser-deps.sh
fi
if [ -f scripts/postgres.sh ]; then
  echo "== installing PostgreSQL (Debian's package, if missing)"
  bash scripts/postgres.sh install
fi
if [ -f scripts/bluesky.sh ]; then
  echo "== installing a Bluesky PDS (npm, cached)"
  bash scripts/bluesky.sh install
fi
if [ -f scripts/validate.sh ]; then
  echo "== installing the export validators, pupa and bagit (cached)"
  bash scripts/validate.sh install
fi

echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --all-targets "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
