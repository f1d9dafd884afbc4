#!/usr/bin/env bash
# A throwaway Synapse homeserver on loopback, for Gavel's Matrix integration tests.
#
#   scripts/synapse.sh install                 virtualenv in .cache/synapse-venv (idempotent)
#   scripts/synapse.sh start DIR               config + data in DIR, listens on 127.0.0.1:<free
#                                              port>, waits for /health, prints the base URL
#   scripts/synapse.sh register DIR USER PASS [admin]
#   scripts/synapse.sh stop DIR
#
# Registration is closed; users are created with the shared secret kept in DIR. Rate limits
# are raised so tests are not throttled. Nothing here talks to anything but 127.0.0.1.
# With SYNAPSE_STOP_WITH_PID set, `start` also stops the server once that process exits.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GAVEL_SYNAPSE_VENV:-$ROOT/.cache/synapse-venv}"
PY="$VENV/bin/python"

die() { echo "synapse.sh: $*" >&2; exit 1; }

cmd_install() {
    if [ -x "$PY" ] && "$PY" -c 'import synapse' 2>/dev/null; then
        echo "synapse already installed in $VENV"
        return
    fi
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --upgrade pip
    "$VENV/bin/pip" install --quiet matrix-synapse
    "$PY" -c 'import synapse; print("synapse", synapse.__version__, "installed in '"$VENV"'")'
}

free_port() {
    python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

cmd_start() {
    local dir="${1:?usage: start DIR}"
    [ -x "$PY" ] || die "synapse is not installed: run scripts/synapse.sh install"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    local cfg="$dir/homeserver.yaml"
    if [ ! -f "$cfg" ]; then
        local port secret
        port="$(free_port)"
        secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
        (cd "$dir" && "$PY" -m synapse.app.homeserver --server-name localhost --config-path "$cfg" \
            --data-directory "$dir" --generate-config --report-stats=no >/dev/null)
        "$PY" - "$cfg" "$port" "$secret" "$dir" <<'PY'
import sys, yaml
cfg_path, port, secret, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(cfg_path) as f:
    cfg = yaml.safe_load(f)
cfg["listeners"] = [{
    "port": port, "bind_addresses": ["127.0.0.1"], "type": "http", "tls": False,
    "x_forwarded": False, "resources": [{"names": ["client"], "compress": False}],
}]
cfg["public_baseurl"] = f"http://127.0.0.1:{port}/"
cfg["trusted_key_servers"] = []
cfg["enable_registration"] = False
cfg["registration_shared_secret"] = secret
cfg["report_stats"] = False
cfg["suppress_key_server_warning"] = True
cfg["federation_domain_whitelist"] = []
cfg["url_preview_enabled"] = False
cfg["presence"] = {"enabled": False}
fast = {"per_second": 1000, "burst_count": 1000}
for key in ["rc_message", "rc_registration", "rc_joins", "rc_invites", "rc_room_creation",
            "rc_admin_redaction", "rc_3pid_validation", "rc_login", "rc_joins_per_room",
            "rc_key_requests", "rc_presence", "rc_delayed_event_mgmt", "rc_reports"]:
    if key == "rc_login":
        cfg[key] = {"address": fast, "account": fast, "failed_attempts": fast}
    elif key == "rc_joins":
        cfg[key] = {"local": fast, "remote": fast}
    elif key == "rc_invites":
        cfg[key] = {"per_room": fast, "per_user": fast, "per_issuer": fast}
    elif key == "rc_presence":
        cfg[key] = {"per_user": fast}
    else:
        cfg[key] = dict(fast)
cfg["log_config"] = f"{d}/log.config"
with open(cfg_path, "w") as f:
    yaml.safe_dump(cfg, f)
with open(f"{d}/log.config", "w") as f:
    f.write(f"""version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: {d}/homeserver.log
    filters: [context]
filters:
  context:
    (): synapse.logging.context.LoggingContextFilter
    request: ""
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
""")
PY
    fi
    local port
    port="$("$PY" -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["listeners"][0]["port"])' "$cfg")"
    if [ -f "$dir/homeserver.pid" ] && kill -0 "$(cat "$dir/homeserver.pid")" 2>/dev/null; then
        echo "http://127.0.0.1:$port"
        return
    fi
    (
        cd "$dir" || exit 1
        nohup "$PY" -m synapse.app.homeserver --config-path "$cfg" >"$dir/stdout.log" 2>&1 </dev/null &
        echo $! >"$dir/homeserver.pid"
    )
    # Tests pass their own pid: when that process is gone, this server is stopped too.
    if [ -n "${SYNAPSE_STOP_WITH_PID:-}" ]; then
        nohup bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; [ -f "$2" ] && kill "$(cat "$2")" 2>/dev/null' \
            _ "$SYNAPSE_STOP_WITH_PID" "$dir/homeserver.pid" >/dev/null 2>&1 </dev/null &
    fi
    local i
    for i in $(seq 1 300); do
        # Python's urllib rather than curl: a fresh machine has Python, not always curl.
        if "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
            "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
            echo "http://127.0.0.1:$port"
            return
        fi
        if ! kill -0 "$(cat "$dir/homeserver.pid")" 2>/dev/null; then
            tail -20 "$dir/stdout.log" >&2 || true
            die "synapse exited during start (see $dir/stdout.log, $dir/homeserver.log)"
        fi
        sleep 0.1
    done
    die "synapse did not become healthy on port $port within 30 s"
}

cmd_register() {
    local dir="${1:?usage: register DIR USER PASS [admin]}" user="${2:?user}" pass="${3:?pass}" admin="${4:-}"
    local cfg="$dir/homeserver.yaml" url
    url="$(cmd_start "$dir")"
    local flag="--no-admin"
    [ "$admin" = "admin" ] && flag="-a"
    "$VENV/bin/register_new_matrix_user" -c "$cfg" -u "$user" -p "$pass" "$flag" "$url" >/dev/null
    echo "@$user:localhost"
}

cmd_stop() {
    local dir="${1:?usage: stop DIR}"
    local pidfile="$dir/homeserver.pid"
    [ -f "$pidfile" ] || return 0
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    register) shift; cmd_register "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) die "usage: $0 install | start DIR | register DIR USER PASS [admin] | stop DIR" ;;
esac
