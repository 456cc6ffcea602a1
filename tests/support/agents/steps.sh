#!/usr/bin/env bash
# A fake agent driven by keys a test types into its pane:
#   w  works (a spinner line)      i  goes idle (so a turn finishes)
#   q  asks a numbered question    x  exits with status 3
# Starts idle. Answers to the question are logged to $1 as `chose <digit>`
# (Enter chooses 1, the option under the cursor).
log="$1"
asking=
idle() { printf '\033[2J\033[H✔ Done.\n\n$ '; }
idle
while IFS= read -rsn1 key; do
    case "$key" in
    w) printf '\033[2J\033[H● Working on it\n\n✻ Frosting… (esc to interrupt)\n' ;;
    i) idle ;;
    q) asking=1; printf '\033[2J\033[H%s\n' '────────────────────────────────────────'; printf ' Bash command\n\n   make test\n\n Do you want to proceed?\n ❯ 1. Yes\n   2. No\n\n Esc to cancel\n' ;;
    [12]) asking=; printf 'chose %s\n' "$key" >>"$log"; idle ;;
    '') [ -z "$asking" ] || { asking=; printf 'chose 1\n' >>"$log"; idle; } ;;
    x) printf '\033[2J\033[Hbye\n'; exit 3 ;;
    esac
done
