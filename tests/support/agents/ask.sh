#!/usr/bin/env bash
# A fake agent that draws a Claude Code style numbered permission prompt and
# records every answer it gets in the log file $1, one line each:
#   chose <prompt> <digit>   a digit (or Enter, for 1) answered prompt a or b
#   reply <text>             the explanation typed after option 3
#   line <text>              a line typed at the idle prompt afterwards
# Pressing `r` redraws a different prompt (b): "the prompt changed".
log="$1"
prompt=a

draw() {
    printf '\033[2J\033[H'
    printf '● Writing the approval marker file\n\n'
    printf '%s\n' '────────────────────────────────────────────────────────────'
    if [ "$prompt" = a ]; then
        printf ' Bash command\n\n   echo accepted > approved.txt\n\n'
        printf ' Do you want to proceed?\n'
        printf ' ❯ 1. Yes\n'
        printf '   2. Yes, and don'"'"'t ask again for echo commands in this folder\n'
        printf '   3. No, and tell Claude what to do differently (esc)\n'
    else
        printf ' Edit file\n\n   src/main.rs\n\n'
        printf ' Do you want to make this edit to main.rs?\n'
        printf ' ❯ 1. Yes\n'
        printf '   2. No\n'
    fi
    printf '\n Esc to cancel · Tab to amend\n'
}

draw
while IFS= read -rsn1 key; do
    case "$key" in
    r)
        prompt=b
        draw
        continue
        ;;
    [1-9]) printf 'chose %s %s\n' "$prompt" "$key" >>"$log" ;;
    '') # Enter takes the option under the cursor, 1.
        key=1
        printf 'chose %s %s\n' "$prompt" "$key" >>"$log"
        ;;
    *) continue ;;
    esac
    printf '\033[2J\033[H'
    if [ "$prompt" = a ] && [ "$key" = 3 ]; then
        printf 'What should Claude do instead?\n> '
        IFS= read -r reply
        printf 'reply %s\n' "$reply" >>"$log"
    fi
    printf '✔ Done.\n\n$ '
    while IFS= read -r line; do
        printf 'line %s\n' "$line" >>"$log"
        printf '$ '
    done
    exit 0
done
