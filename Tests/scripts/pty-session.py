#!/usr/bin/env python3
"""Drives `swiftrun run -it` or `exec -it` through a real pty, as a person
at a terminal would, and prints what happened as JSON for the Swift test.

Each step waits for what the shell prints, with a deadline: no sleeps.
"""
import fcntl, json, os, pty, select, struct, sys, termios, time

def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
set_size(fd, 30, 100)
before = termios.tcgetattr(fd)
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

result = {}
result["prompt"] = read_until(b"# ")
# While swiftrun relays, the caller's terminal is raw: no echo, no signals.
during = termios.tcgetattr(fd)
result["raw"] = not (during[3] & termios.ECHO) and not (during[3] & termios.ISIG)
os.write(fd, b"tty; stty size\n")
result["first"] = read_until(b"30 100")
set_size(fd, 40, 120)
os.kill(pid, 28)  # SIGWINCH, as a terminal emulator sends to its foreground job
os.write(fd, b"stty size\n")
result["resized"] = read_until(b"40 120")
# The marker comes from the foreground job itself, so Ctrl-C cannot reach
# the shell before the job owns the terminal.
os.write(fd, b"sh -c 'echo sleeping; exec sleep 300'\n")
read_until(b"\r\nsleeping\r\n")
os.write(fd, b"\x03")  # Ctrl-C: the container's pty turns it into SIGINT for sleep
os.write(fd, b"echo after-$?\n")
result["interrupted"] = read_until(b"after-130")
if not result["interrupted"]:
    os.kill(pid, 9)  # fail now rather than when sleep ends; the container dies with swiftrun
os.write(fd, b"exit 7\n")
_, status = os.waitpid(pid, 0)
result["exit"] = os.waitstatus_to_exitcode(status)
after = termios.tcgetattr(fd)
result["restored"] = after[:4] == before[:4]
result["tty"] = "/dev/pts/0" in seen.decode(errors="replace")
result["output"] = seen.decode(errors="replace")
print(json.dumps(result))
