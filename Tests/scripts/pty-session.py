#!/usr/bin/env python3
"""Drives `swiftrun run -it` or `exec -it` through a real pty, as a person
at a terminal would, and prints what happened as JSON for the Swift test.

Each step waits for what the shell prints, with a deadline: no sleeps.
"""
import fcntl, json, os, struct, sys, termios
from pty_driver import Session

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

session = Session(sys.argv[1:])
fd = session.fd
set_size(fd, 30, 100)
before = termios.tcgetattr(fd)

result = {}
# The first prompt waits for the whole start-up; in the test VM (TCG) under
# the full suite it was seen to take over 10 s. A deadline, not a sleep.
result["prompt"] = session.read_until(b"# ", seconds=60)
# While swiftrun relays, the caller's terminal is raw: no echo, no signals.
during = termios.tcgetattr(fd)
result["raw"] = not (during[3] & termios.ECHO) and not (during[3] & termios.ISIG)
session.write(b"tty; stty size\n")
result["first"] = session.read_until(b"30 100")
set_size(fd, 40, 120)
os.kill(session.pid, 28)  # SIGWINCH, as a terminal emulator sends to its foreground job
session.write(b"stty size\n")
result["resized"] = session.read_until(b"40 120")
# The marker comes from the foreground job itself, so Ctrl-C cannot reach
# the shell before the job owns the terminal.
session.write(b"sh -c 'echo sleeping; exec sleep 300'\n")
session.read_until(b"\r\nsleeping\r\n")
session.write(b"\x03")  # Ctrl-C: the container's pty turns it into SIGINT for sleep
session.write(b"echo after-$?\n")
result["interrupted"] = session.read_until(b"after-130")
if not result["interrupted"]:
    os.kill(session.pid, 9)  # fail now rather than when sleep ends; the container dies with swiftrun
session.write(b"exit 7\n")
_, status = os.waitpid(session.pid, 0)
result["exit"] = os.waitstatus_to_exitcode(status)
after = termios.tcgetattr(fd)
result["restored"] = after[:4] == before[:4]
result["tty"] = "/dev/pts/0" in session.output
result["output"] = session.output
print(json.dumps(result))
