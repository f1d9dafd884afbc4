#!/usr/bin/env bash
# The validators Gavel's export tests use, from their communities' own packages on PyPI:
# pupa (the Open Civic Data schemas and validator) and bagit (the Library of Congress's).
#
#   scripts/validate.sh install            virtualenv in .cache/validate-venv (idempotent)
#   scripts/validate.sh FILE|BAG_DIR ...   runs tests/validate/ocd.py on them
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GAVEL_VALIDATE_VENV:-$ROOT/.cache/validate-venv}"
PY="$VENV/bin/python"

die() { echo "validate.sh: $*" >&2; exit 1; }

cmd_install() {
    if [ -x "$PY" ] && "$PY" -c 'import importlib.metadata as m; assert m.version("pupa") == "0.11.0" and m.version("bagit") == "1.9.0"' 2>/dev/null; then
        echo "pupa and bagit already installed in $VENV"
        return
    fi
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" || die "python3 -m venv failed (apt-get install python3-venv)"
    "$VENV/bin/pip" install --quiet --upgrade pip
    # Pinned: the schemas are what the exports are checked against.
    "$VENV/bin/pip" install --quiet "pupa==0.11.0" "bagit==1.9.0"
    "$PY" -c 'import bagit, importlib.metadata as m; print("pupa", m.version("pupa"), "and bagit", m.version("bagit"), "installed in '"$VENV"'")'
}

case "${1:-}" in
    install) cmd_install ;;
    "") die "usage: $0 install | FILE|BAG_DIR ..." ;;
    *)
        [ -x "$PY" ] || die "the validators are not installed: run scripts/validate.sh install"
        exec "$PY" "$ROOT/tests/validate/ocd.py" "$@"
        ;;
esac
