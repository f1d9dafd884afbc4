#!/usr/bin/env bash
# A Bluesky PDS for Gavel's Bluesky tests: @atproto/dev-env (a PLC directory and a PDS that
# run in memory) and @atproto/pds, from npm, into .cache/bluesky. Node 20.
#
#   scripts/bluesky.sh install     installs them (idempotent: skipped when the pinned versions
#                                  are there)
#
# The tests start their own PDS with tests/support/bluesky_pds.cjs (see tests/support/bluesky.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=.cache/bluesky
PDS=0.4.217
DEV_ENV=0.3.215

die() { echo "bluesky.sh: $*" >&2; exit 1; }

installed() {
    node -e "
      const v = (p) => require('./$DIR/node_modules/' + p + '/package.json').version;
      process.exit(v('@atproto/pds') === '$PDS' && v('@atproto/dev-env') === '$DEV_ENV' ? 0 : 1)
    " 2>/dev/null
}

cmd_install() {
    command -v node >/dev/null || die "Node 20 is needed (node not found)"
    if installed; then
        echo "Bluesky PDS $PDS already installed in $DIR"
        return
    fi
    mkdir -p "$DIR"
    (cd "$DIR" && npm install --no-audit --no-fund --loglevel=error \
        "@atproto/pds@$PDS" "@atproto/dev-env@$DEV_ENV" >/dev/null)
    installed || die "npm finished but @atproto/pds $PDS is not in $DIR"
    echo "Bluesky PDS $PDS installed in $DIR"
}

case "${1:-}" in
    install) cmd_install ;;
    *) die "usage: scripts/bluesky.sh install" ;;
esac
