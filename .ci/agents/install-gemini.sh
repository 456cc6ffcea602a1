#!/usr/bin/env bash
# Installs Gemini CLI at its pinned version into $TGMUX_AGENTS_DIR/npm, from
# the npm registry. Quick and silent when that version is already there.
# Install scripts are skipped: they would build node-pty with node-gyp and
# fetch keytar binaries, and Gemini CLI runs without both (it falls back to
# child processes and to its own key file).
set -euo pipefail

version=0.61.0
prefix="${TGMUX_AGENTS_DIR:?set TGMUX_AGENTS_DIR}/npm"
manifest="$prefix/node_modules/@google/gemini-cli/package.json"

if [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest"; then
    exit 0
fi
npm install --prefix "$prefix" --ignore-scripts --no-audit --no-fund \
    --no-update-notifier --save-exact "@google/gemini-cli@$version"
test -x "$prefix/node_modules/.bin/gemini"
