#!/usr/bin/env bash
# A fake agent with a Claude Code style menu without numbers: the cursor ❯
# moves with Up/Down and Enter confirms. Records `chose <label>` in $1.
log="$1"
options=("No, exit" "Yes, I trust this folder" "Yes, and remember this choice")
cursor=0

draw() {
    printf '\033[2J\033[H'
    printf ' Accessing workspace:\n\n %s\n\n' "$PWD"
    printf ' Quick safety check: Is this a project you created or one you trust?\n\n'
    for i in "${!options[@]}"; do
        if [ "$i" = "$cursor" ]; then
            printf ' ❯ %s\n' "${options[$i]}"
        else
            printf '   %s\n' "${options[$i]}"
        fi
    done
    printf '\n Enter to confirm · Esc to cancel\n'
}

draw
while IFS= read -rsn1 key; do
    if [ "$key" = $'\e' ]; then
        IFS= read -rsn2 -t 1 rest
        case "$rest" in
        '[A') [ "$cursor" -gt 0 ] && cursor=$((cursor - 1)) ;;
        '[B') [ "$cursor" -lt $((${#options[@]} - 1)) ] && cursor=$((cursor + 1)) ;;
        esac
        draw
    elif [ -z "$key" ]; then
        printf 'chose %s\n' "${options[$cursor]}" >>"$log"
        printf '\033[2J\033[H✔ %s\n\n$ ' "${options[$cursor]}"
        exec cat >/dev/null
    fi
done
