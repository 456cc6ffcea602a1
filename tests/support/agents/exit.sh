#!/bin/sh
# A stand-in agent that says goodbye, waits for Enter, and exits with status $1.
# (tmux drops output a process writes just before it exits, so a test that
# checks the last screen makes the exit wait until that output is shown.)
printf 'exiting with %s\n' "$1"
read -r _
exit "$1"
