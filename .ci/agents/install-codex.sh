#!/usr/bin/env bash
# Installs the pinned Codex CLI (a Rust binary shipped inside npm packages)
# into $TGMUX_AGENTS_DIR/npm; a no-op when that version is already there.
set -euo pipefail

VERSION=0.171.0
prefix="${TGMUX_AGENTS_DIR:?set TGMUX_AGENTS_DIR}/npm"
codex="$prefix/node_modules/.bin/codex"

if [ -x "$codex" ] && [ "$("$codex" --version 2>/dev/null)" = "codex-cli $VERSION" ]; then
    exit 0
fi
npm install --prefix "$prefix" --no-audit --no-fund --no-update-notifier \
    "@openai/codex@$VERSION" </dev/null
"$codex" --version
