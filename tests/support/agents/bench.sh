#!/usr/bin/env bash
# A stand-in agent for benches/latency.rs. It runs in its session's folder and
# idles without output, blocked on reading the FIFO ./go, until the bench
# writes a line to it. Then it draws a Claude Code style numbered permission
# prompt in one write and appends `shown N T` to ./events; it reads one key
# and appends `key N K T`, and goes back to idle. N counts the prompts, K is
# the key (`enter` for Enter), T is bash's $EPOCHREALTIME (wall clock in
# microseconds, read without starting a process) taken just after the prompt
# is written and just after the key is read.
n=0
idle=$'\033[2J\033[H✔ Ready.\n\n$ '
printf '%s' "$idle"
while IFS= read -r _ <go; do
    n=$((n + 1))
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
    IFS= read -rsn1 key
    got=$EPOCHREALTIME
    [ -n "$key" ] || key=enter
    printf 'key %s %s %s\n' "$n" "$key" "$got" >>events
    printf '%s' "$idle"
done
