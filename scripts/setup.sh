#!/usr/bin/env bash
# Sets up a fresh machine for GLA Studio: Debian packages for the fixture generators, npm dependencies, a build,
# and the generated test fixtures and sample dataset. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

# Python packages used only by the committed fixture generators (reference values, images, tiny ONNX models).
pkgs=(python3-numpy python3-pil python3-onnx python3-regex python3-cryptography)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: need root to install ${missing[*]} (apt-get)" >&2; exit 1; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# onnxruntime-node's install script would fetch CUDA binaries (offline, it fails); the CPU ones are bundled. The skip
# is an environment variable, not an .npmrc key, which npm 11 warns about on every call.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build
npm run fixtures
# The sample dataset for the README's main command (coloured shapes + the tiny fixture CLIP), into samples/.
node scripts/make-samples.mjs
# `gla` on PATH (a link to dist/cli.js: no npm in between, so no npm output and no npx start-up cost).
if npm link --no-audit --no-fund >/dev/null 2>&1 && command -v gla >/dev/null; then
  echo "setup: gla is on PATH ($(command -v gla))"
else
  echo "setup: could not link gla onto PATH (npm link needs a writable global prefix); use npx gla"
fi
