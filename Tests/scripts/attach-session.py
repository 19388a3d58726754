#!/usr/bin/env python3
"""Drives `swiftrun attach` through a real pty: types a command into the
container's shell, waits for its answer, then types the detach keys given
as the first argument (hex bytes, e.g. 1011 for Ctrl-P Ctrl-Q). Prints the
result as JSON for the Swift test. Each step waits with a deadline: no sleeps.
"""
import json, os, select, sys, time
from pty_driver import Session

keys = bytes.fromhex(sys.argv[1])
session = Session(sys.argv[2:])
session.write(b"echo answer-$((6*7))\n")
result = {"answered": session.read_until(b"answer-42")}
session.write(keys)
deadline = time.time() + 10
status = None
while status is None and time.time() < deadline:
    done, code = os.waitpid(session.pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(code)
    else:
        select.select([session.fd], [], [], 0.1)
if status is None:
    os.kill(session.pid, 9)
    os.waitpid(session.pid, 0)
result["exit"] = status
result["output"] = session.output
print(json.dumps(result))
