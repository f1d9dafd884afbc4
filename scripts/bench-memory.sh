#!/usr/bin/env bash
# Memory of `gavel run` (issue 9, goal 7: idle RSS <= 40 MB with Matrix, Discord and web
# connected). The measurement lives in benches/idle_memory.rs: the release binary as a child
# process, connected to a real Synapse (scripts/synapse.sh; without it Matrix is left out and the
# output says so), the fake Discord, two webhook receivers and the web listener; idle, then after
# a 200-command meeting delivered everywhere; beside a console-only baseline and each connection
# alone.
#   scripts/bench-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --bench idle_memory -- "$@"
