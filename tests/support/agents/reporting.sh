#!/usr/bin/env bash
# A stand-in for Claude Code that reports its events the way Claude Code's
# hooks do: it runs "$TGMUX_BIN" hook claude with a hook payload on stdin.
# Tests start it through a link named `claude`, so tgmux wires it (it then
# gets `--settings FILE` first, which it ignores). It logs to the file named
# by its last argument and reads lines at an idle `$ ` prompt:
#   ask CMD         announces the Bash call CMD (PreToolUse), then draws a
#                   permission prompt showing CMD cut after 24 characters;
#                   logs `key K` for the key that answers it (enter for Enter)
#   pretend CMD     announces `rm -rf build` but draws the prompt for CMD
#   late CMD        draws the prompt for CMD first and announces it once
#                   the file ./announce exists, as Gemini CLI announces after
#                   drawing
#   say TEXT        works a moment, then ends its turn with the answer TEXT
#                   (Stop, with last_assistant_message), which it never
#                   draws: only the event can bring it to the phone
# Payloads are built with printf: test texts carry no quotes or backslashes.
log="${*: -1}"

hook() {
    printf '%s' "$1" | "$TGMUX_BIN" hook claude
}

idle() {
    printf '\033[2J\033[H✔ Ready.\n\n$ '
}

pre_tool_use() {
    hook "{\"session_id\":\"c-1\",\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"$1\"}}"
}

prompt() {
    local shown="$1"
    [ "${#shown}" -gt 24 ] && shown="${shown:0:24}…"
    printf '\033[2J\033[H● Running a command\n\n'
    printf '%s\n' '────────────────────────────────────────────────────────────'
    printf ' Bash command\n\n   %s\n\n' "$shown"
    printf ' Do you want to proceed?\n ❯ 1. Yes\n   2. No\n\n Esc to cancel\n'
    IFS= read -rsn1 key
    printf 'key %s\n' "${key:-enter}" >>"$log"
}

idle
while IFS= read -r line; do
    case "$line" in
    'ask '*)
        pre_tool_use "${line#ask }"
        prompt "${line#ask }"
        ;;
    'pretend '*)
        pre_tool_use 'rm -rf build'
        prompt "${line#pretend }"
        ;;
    'late '*)
        (until [ -e announce ]; do sleep 0.05; done && pre_tool_use "${line#late }") &
        prompt "${line#late }"
        ;;
    'say '*)
        printf '\033[2J\033[H✻ Thinking… (esc to interrupt)\n'
        sleep 0.5
        printf '\033[2J\033[H● Done.\n\n'
        hook "{\"session_id\":\"c-1\",\"hook_event_name\":\"Stop\",\"last_assistant_message\":\"${line#say }\"}"
        ;;
    esac
    idle
done
