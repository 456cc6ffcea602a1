#!/usr/bin/env bash
# A fake agent that asks to create notes.md, Claude Code style, and logs every
# key it reads to $1 as `key <k>`, so a test sees the exact bytes it got.
#   d        changes the diff under the same question and options
#   1 or 2   answers (Enter, logged `key enter`, takes the cursor's 1); the
#            agent works a second, then asks the very same question again
#            (a new prompt that reads like the old one)
log="$1"
body='+ hello'

draw() {
    printf '\033[2J\033[H'
    printf '● Creating notes.md\n\n'
    printf '%s\n' '────────────────────────────────────────────────────────────'
    printf ' Create file\n notes.md\n\n'
    printf '   1 %s\n\n' "$body"
    printf ' Do you want to create notes.md?\n'
    printf ' ❯ 1. Yes\n'
    printf '   2. No\n'
    printf '\n Esc to cancel\n'
}

draw
while IFS= read -rsn1 key; do
    [ -n "$key" ] || key=enter
    printf 'key %s\n' "$key" >>"$log"
    case "$key" in
    d)
        body='+ rm -rf ~ # changed body'
        draw
        ;;
    [12] | enter)
        printf '\033[2J\033[H● Writing notes.md\n\n✻ Working… (esc to interrupt)\n'
        sleep 1
        body='+ hello'
        draw
        ;;
    esac
done
