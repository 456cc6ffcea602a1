#!/usr/bin/env bash
# Installs the pinned Aider into the venv $TGMUX_AGENTS_DIR/venv; a no-op when
# that version is already there.
set -euo pipefail

VERSION=0.86.2
venv="${TGMUX_AGENTS_DIR:?set TGMUX_AGENTS_DIR}/venv"

installed=("$venv"/lib/python3*/site-packages/aider_chat-"$VERSION".dist-info)
if [ -x "$venv/bin/aider" ] && [ -d "${installed[0]}" ]; then
    exit 0
fi
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "aider-chat==$VERSION" </dev/null
"$venv/bin/aider" --version
