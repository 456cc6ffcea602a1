#!/usr/bin/env bash
# Installs Claude Code, pinned, from the npm registry into
# $TGMUX_AGENTS_DIR/npm (the package ships its native binary for this
# platform as an optional dependency). Quick and silent when it is there.
set -euo pipefail

VERSION=2.1.332
prefix="${TGMUX_AGENTS_DIR:?TGMUX_AGENTS_DIR must name the agents folder}/npm"
claude="$prefix/node_modules/.bin/claude"

installed() {
    # `--version` reads no settings and makes no request.
    [ -x "$claude" ] && [ "$("$claude" --version 2>/dev/null)" = "$VERSION (Claude Code)" ]
}

if installed; then
    exit 0
fi
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-audit --no-fund --save-exact \
    "@anthropic-ai/claude-code@$VERSION" </dev/null
if ! installed; then
    echo "install-claude: $claude does not report version $VERSION" >&2
    exit 1
fi
echo "install-claude: Claude Code $VERSION in $prefix"
