#!/usr/bin/env bash
# A stand-in agent for benches/latency.rs. It runs in its session's folder and
# idles without output, blocked on reading the FIFO ./go, until the bench
# writes a line to it. Then it draws a Claude Code style numbered permission
# prompt in one write and appends `shown N T` to ./events; it reads one key
# and appends `key N K T`, and goes back to idle. N counts the prompts, K is
# the key (`enter` for Enter), T is bash's $EPOCHREALTIME (wall clock in
# microseconds, read without starting a process) taken just after the prompt
# is written and just after the key is read.
# Started as `claude` with tgmux's wiring ($TGMUX_SESSION_ID set), it also
# reports what Claude Code's hooks would: PreToolUse before the prompt is
# drawn, and the permission Notification (in the background) once it is.
n=0
idle=$'\033[2J\033[H✔ Ready.\n\n$ '
printf '%s' "$idle"
hook() {
    [ -n "$TGMUX_SESSION_ID" ] && printf '%s' "$1" | "$TGMUX_BIN" hook claude
}
while IFS= read -r _ <go; do
    n=$((n + 1))
    hook "{\"hook_event_name\":\"PreToolUse\",\"tool_name\":\"Bash\",\"tool_input\":{\"command\":\"echo step $n > bench.txt\"}}"
    printf -v screen '%s' $'\033[2J\033[H' \
        "● Running bench step $n"$'\n\n' \
        '────────────────────────────────────────────────────────────'$'\n' \
        $' Bash command\n\n' \
        "   echo step $n > bench.txt"$'\n\n' \
        $' Do you want to proceed?\n' \
        $' ❯ 1. Yes\n' \
        $'   2. No, and tell Claude what to do differently (esc)\n' \
        $'\n Esc to cancel · Tab to amend\n'
    printf '%s' "$screen"
    shown=$EPOCHREALTIME
    printf 'shown %s %s\n' "$n" "$shown" >>events
    hook '{"hook_event_name":"Notification","notification_type":"permission_prompt","message":"Claude needs your permission to use Bash"}' &
    IFS= read -rsn1 key
    got=$EPOCHREALTIME
    [ -n "$key" ] || key=enter
    printf 'key %s %s %s\n' "$n" "$key" "$got" >>events
    printf '%s' "$idle"
done
