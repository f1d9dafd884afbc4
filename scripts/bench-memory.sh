#!/usr/bin/env bash
# Memory of `gavel run` (issue 9, goal 7: idle RSS <= 40 MB with Matrix, Discord and web
# connected). The measurement lives in benches/idle_memory.rs: the binary as a child process,
# connected to a real Synapse (scripts/synapse.sh; without it Matrix is left out and the output
# says so), the fake Discord, two webhook receivers and the web listener; idle, then after a
# 200-command meeting delivered everywhere; beside a console-only baseline and each connection
# alone.
#
# It measures the build operators install (`--profile dist`: release with whole-program
# optimisation; the first build takes a while) unless GAVEL_BIN names another binary, e.g.
#   GAVEL_BIN=target/release/gavel scripts/bench-memory.sh     # the plain release build
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${GAVEL_BIN:-}" ]; then
    cargo build --profile dist --bin gavel
    GAVEL_BIN=$PWD/target/dist/gavel
fi
export GAVEL_BIN
exec cargo bench --bench idle_memory -- "$@"
