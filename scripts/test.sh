#!/usr/bin/env bash
# Installs what the tests need (idempotent; works on a fresh Debian machine as root) and
# runs every test: the Python suite (core, language server over stdio, AI with the real
# SmolLM2 weights, trainer on CPU, a real PostgreSQL) and the VS Code extension in a real
# code-server driven by Chromium.
#
# Env: QW_VENV (default .venv), QW_SKIP_EDITOR=1 skips nothing silently: it stops with a
# message before the editor test, for quick local runs; CI never sets it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${QW_VENV:-.venv}"
START=$(date +%s)
log() { printf '[test %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# PostgreSQL binaries for the introspection tests (the tests start their own cluster).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  log "installing PostgreSQL"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip
# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
"$PY" -m pip install -q torch==2.13.0
"$PY" -m pip install -q -e '.[dev,local,train,postgres]'
log "python packages ready"

# The real SmolLM2-135M-Instruct weights (cached per user after the first run).
"$VENV/bin/querywright" models pull builtin
log "builtin model ready"

"$PY" -m pytest -p no:cacheprovider
log "python tests passed"

if [ "${QW_SKIP_EDITOR:-}" = "1" ]; then
  log "QW_SKIP_EDITOR=1: the VS Code end-to-end test was NOT run"
  exit 0
fi
QW_PYTHON="$(cd "$(dirname "$PY")" && pwd)/python" bash vscode-extension/scripts/ci.sh
log "editor tests passed"
