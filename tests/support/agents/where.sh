#!/bin/sh
# A stand-in agent: writes its physical working directory and $TGMUX_PROBE
# to the file $1, then stays alive.
printf '%s\n%s\n' "$(pwd -P)" "$TGMUX_PROBE" > "$1"
printf 'ready>\n'
exec sleep 600
