"""What the pty tests share: a program started on a new pty, as under a
terminal emulator, and reading its screen until a token shows up, with a
deadline rather than a sleep."""
import os, pty, select, time


class Session:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        self.seen = b""

    def read_until(self, token, seconds=10):
        deadline = time.time() + seconds
        while token not in self.seen and time.time() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    self.seen += os.read(self.fd, 4096)
                except OSError:
                    return False
        return token in self.seen

    def write(self, data):
        os.write(self.fd, data)

    @property
    def output(self):
        return self.seen.decode(errors="replace")
