#!/usr/bin/env python3
"""A fake agent that switches its terminal to raw mode half a second after it
starts (discarding unread input, as tty.setraw does), then shows a prompt and
writes every byte it reads up to a carriage return to the file $1."""
import os
import sys
import termios
import time
import tty

out = sys.argv[1]
time.sleep(0.5)
tty.setraw(sys.stdin.fileno(), termios.TCSAFLUSH)
sys.stdout.write("ready> ")
sys.stdout.flush()
got = bytearray()
while True:
    chunk = os.read(sys.stdin.fileno(), 65536)
    if not chunk:
        break
    got += chunk
    if b"\r" in got:
        got = got[: got.index(b"\r")]
        break
with open(out + ".tmp", "wb") as f:
    f.write(bytes(got))
os.rename(out + ".tmp", out)
sys.stdout.write("\r\ngot it\r\n$ ")
sys.stdout.flush()
time.sleep(600)
