#!/usr/bin/env bash
# PostgreSQL for Gavel's PostgreSQL archive tests: Debian's `postgresql` package.
#
#   scripts/postgres.sh install     installs it when /usr/lib/postgresql/15/bin/initdb is missing
#                                   (idempotent; apt only, as root)
#
# The tests start and stop their own throwaway cluster (src/archive/postgres/testing.rs); this
# script only installs the server. GAVEL_POSTGRES_BIN points the tests at another bin folder.
set -euo pipefail

BIN="${GAVEL_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}"

die() { echo "postgres.sh: $*" >&2; exit 1; }

cmd_install() {
    if [ -x "$BIN/initdb" ]; then
        echo "postgresql already installed in $BIN"
        return
    fi
    [ "$(id -u)" = 0 ] || die "installing needs root (apt-get install postgresql)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
    [ -x "$BIN/initdb" ] || die "postgresql was installed but $BIN/initdb is missing: set GAVEL_POSTGRES_BIN"
    echo "postgresql installed in $BIN"
}

case "${1:-}" in
    install) cmd_install ;;
    *) die "usage: scripts/postgres.sh install" ;;
esac
