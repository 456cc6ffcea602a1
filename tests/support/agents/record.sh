#!/bin/sh
# A stand-in agent: records every line typed into it, exactly, in the file $1.
out=$1
printf 'ready>\n'
while IFS= read -r line; do
    printf '%s\n' "$line" >> "$out"
done
