#!/usr/bin/env python3
"""Drives `swiftrun attach` through a real pty: types a command into the
container's shell, waits for its answer, then types the detach keys given
as the first argument (hex bytes, e.g. 1011 for Ctrl-P Ctrl-Q). Prints the
result as JSON for the Swift test. Each step waits with a deadline: no sleeps.
"""
import json, os, pty, select, sys, time

keys = bytes.fromhex(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
seen = b""

def read_until(token, seconds=10):
    global seen
    deadline = time.time() + seconds
    while token not in seen and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                return False
    return token in seen

os.write(fd, b"echo answer-$((6*7))\n")
result = {"answered": read_until(b"answer-42")}
os.write(fd, keys)
deadline = time.time() + 10
status = None
while status is None and time.time() < deadline:
    done, code = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
    else:
        select.select([fd], [], [], 0.1)
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
result["exit"] = status
result["output"] = seen.decode(errors="replace")
print(json.dumps(result))
