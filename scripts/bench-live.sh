#!/usr/bin/env bash
# 10,000 live viewers (benches/live_viewers.rs) with the open-files limit raised as far as this
# shell may: the server process and the client process each hold ~N sockets plus their files.
# Usage: scripts/bench-live.sh [--viewers N]
set -euo pipefail
cd "$(dirname "$0")/.."
hard=$(ulimit -Hn)
want=30000
if [ "$hard" != "unlimited" ] && [ "$hard" -lt "$want" ]; then
    want=$hard
fi
ulimit -n "$want" || true
echo "ulimit -n: $(ulimit -n) (hard $(ulimit -Hn)); each process needs about N + 100" >&2
exec cargo bench --bench live_viewers -- "$@"
