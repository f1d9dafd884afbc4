#!/usr/bin/env bash
# Memory of `gavel run` (issue 9): VmRSS of the release binary idle with the web listener on and
# 3 webhook targets (a local receiver that answers 200), then after a 200-entry meeting piped
# through the console and delivered to every target. Goal: <= 40 MB.
#   scripts/bench-memory.sh            # builds `--release` if needed
#   ENTRIES=500 scripts/bench-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-200}
cargo build --release --bin gavel >/dev/null 2>&1 || cargo build --release --bin gavel
BIN=$PWD/target/release/gavel

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The webhook receiver: one line per request in $WORK/received, its port in $WORK/port.
cat >"$WORK/receiver.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")
        with open(sys.argv[1], "a") as f:
            f.write(self.path + "\n")
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
touch "$WORK/received"
python3 "$WORK/receiver.py" "$WORK/received" "$WORK/port" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(cat "$WORK/port")

cat >"$WORK/gavel.toml" <<EOF
[council]
name = "Bench Borough Council"
timezone = "Europe/London"

[archive]
path = "$WORK/data/gavel.db"

[web]
listen = "127.0.0.1:0"

[[webhook]]
name = "a"
url = "http://127.0.0.1:$PORT/hook/a"
format = "json"

[[webhook]]
name = "b"
url = "http://127.0.0.1:$PORT/hook/b"
format = "slack"

[[webhook]]
name = "c"
url = "http://127.0.0.1:$PORT/hook/c"
format = "teams"
EOF

# A 200-entry meeting from a fixed seed: agenda items, speakers, motions, votes, notes.
meeting() {
  RANDOM=9
  local who=("Cllr Okafor" "Cllr Patel" "Cllr Hughes" "Cllr Nowak" "Cllr Davies" "the Mayor")
  local what=("the revenue budget" "the local plan consultation" "the closure of Elm Park library"
    "the parking enforcement contract" "flood defences along the river Wye" "council tax support")
  echo "!start Full Council"
  local item=0
  for ((i = 2; i < ENTRIES; i++)); do
    local w=${who[RANDOM % 6]} s=${what[RANDOM % 6]}
    case $((RANDOM % 10)) in
      0) item=$((item + 1)); echo "!agenda $item Report on $s" ;;
      1 | 2) echo "!speaker $w" ;;
      3) echo "!motion That the council approves $s | mover=$w | seconder=${who[RANDOM % 6]}" ;;
      4) echo "!vote $((RANDOM % 30 + 10))-$((RANDOM % 10))-$((RANDOM % 3)) carried" ;;
      *) echo "!note $w asked about $s and the effect on residents" ;;
    esac
  done
  echo "!end"
}

rss() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

mkfifo "$WORK/stdin"
(cd "$WORK" && exec "$BIN" -c gavel.toml run --console <stdin >stdout 2>stderr) &
GAVEL=$!
PIDS+=($GAVEL)
exec 3>"$WORK/stdin"
for _ in $(seq 100); do grep -q "gavel running" "$WORK/stderr" 2>/dev/null && break; sleep 0.1; done
sleep 1
IDLE=$(rss "$GAVEL" VmRSS)

START=$(date +%s.%N)
meeting >&3
EXPECT=$((ENTRIES * 3))
for _ in $(seq 600); do
  [ "$(wc -l <"$WORK/received")" -ge "$EXPECT" ] && break
  sleep 0.1
done
END=$(date +%s.%N)
sleep 1
AFTER=$(rss "$GAVEL" VmRSS)
PEAK=$(rss "$GAVEL" VmHWM)
RECORDED=$(grep -c " recorded" "$WORK/stdout" || true)
POSTS=$(wc -l <"$WORK/received")
exec 3>&-
wait "$GAVEL" || true

echo "gavel run --console, release, web listener on, 3 webhook targets (local receiver)"
echo "  entries recorded:        $RECORDED of $ENTRIES lines; webhook posts received: $POSTS (expected $EXPECT)"
printf '  piped and delivered in:  %.1f s\n' "$(echo "$END - $START" | bc)"
printf '  VmRSS idle:              %.1f MB\n' "$(echo "$IDLE / 1024" | bc -l)"
printf '  VmRSS after meeting:     %.1f MB   (%.2fx idle; goal <= 40 MB)\n' \
  "$(echo "$AFTER / 1024" | bc -l)" "$(echo "$AFTER / $IDLE" | bc -l)"
printf '  VmHWM (peak RSS):        %.1f MB\n' "$(echo "$PEAK / 1024" | bc -l)"
