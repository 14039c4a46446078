#!/usr/bin/env bash
# Installs real VS Code (code-server 4.100.3), Debian's Chromium and Neovim for the end-to-end tests, offline-safe:
# follows ../shared/recipes/code-server-e2e.md. Idempotent: each step is skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

CS_VERSION=4.100.3
E2E=.e2e
D=$E2E/code-server
VSCODE=$D/node_modules/code-server/lib/vscode
STAMP=$E2E/.installed-$CS_VERSION
t0=$(date +%s)
say() { echo "setup-e2e: $*"; }

# 1. Debian packages: native build deps of code-server's modules, ripgrep (its npm package would download one),
#    the browser, and Neovim (test/e2e/neovim.test.ts drives the language server from a second, real LSP client).
pkgs=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep chromium build-essential python3 neovim)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup-e2e: need root to install ${missing[*]} (apt-get)" >&2; exit 1; fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present"
fi

# 2. code-server without its postinstall (which would fetch from GitHub), then its inner install by hand.
if [ -f "$STAMP" ] && [ -f "$D/node_modules/code-server/out/node/entry.js" ]; then
  say "code-server $CS_VERSION present in $D"
else
  say "installing code-server $CS_VERSION into $D (takes a few minutes the first time)"
  rm -rf "$D" "$E2E"/.installed-*
  mkdir -p "$D"
  (
    cd "$D"
    npm init -y >/dev/null
    npm install --no-audit --no-fund --ignore-scripts "code-server@$CS_VERSION" >/dev/null
    cd node_modules/code-server/lib/vscode
    npm install --no-audit --no-fund --omit=dev --ignore-scripts >/dev/null
    # @vscode/ripgrep's postinstall downloads a binary from GitHub: use Debian's instead.
    mkdir -p node_modules/@vscode/ripgrep/bin && cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    npm_config_yes=true npm rebuild kerberos @parcel/watcher @vscode/spdlog @vscode/deviceid native-watchdog node-pty >/dev/null
    ln -sfn node_modules node_modules.asar
    cd ../../../..
    npm_config_yes=true npm rebuild argon2 >/dev/null
  )
  touch "$STAMP"
fi

[ -x /usr/bin/chromium ] || { echo "setup-e2e: /usr/bin/chromium missing after install" >&2; exit 1; }
command -v nvim >/dev/null || { echo "setup-e2e: nvim missing after install" >&2; exit 1; }
version=$(node -p "require('./$D/node_modules/code-server/package.json').version")
say "ready in $(( $(date +%s) - t0 )) s: code-server $version, $(/usr/bin/chromium --version 2>/dev/null | head -1), $(nvim --version | head -1)"
