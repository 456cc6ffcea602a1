#!/bin/sh
# A stand-in agent: records the raw bytes of every key pressed in the file $1.
stty raw -echo
printf 'ready>\r\n'
exec cat > "$1"
