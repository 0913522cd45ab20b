#!/usr/bin/env python3
"""Drive `COMMAND...` (a podman run -it ... corral -- sh) on a pseudo-terminal
as a person would: check that the shell owns the terminal (its process group
is the terminal's foreground group), that Ctrl+C typed during `sleep 30`
interrupts the sleep and leaves the shell alive, that input reaches the shell
(corral does not steal it), and that `exit 5` comes out as the exit status.

Prints one line of figures; exit 0 when every step held, 1 otherwise.
Used by tests/e2e/podman.sh."""

import os
import pty
import re
import select
import signal
import sys
import time

TIMEOUT = 20.0


class Pty:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        self.buf = b""

    def send(self, data):
        os.write(self.fd, data)

    def expect(self, pattern, timeout=TIMEOUT):
        """Wait until pattern matches the output read since the last match."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no %r in %r" % (pattern, self.buf[-300:]))
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise EOFError("EOF waiting for %r after %r" % (pattern, self.buf[-300:]))
                self.buf += data

    def wait(self, timeout=TIMEOUT):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            # keep draining so the child never blocks on a full pty
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    os.read(self.fd, 4096)
                except OSError:
                    pass
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
        raise TimeoutError("the command did not exit")

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def main():
    argv = sys.argv[1:]
    t0 = time.monotonic()
    p = Pty(argv)
    facts = []
    try:
        # dash as root prompts "# "; ask for a marker that only the shell's
        # expansion can produce, so our own echo never matches.
        p.send(b"echo ready-$((40+2))\n")
        p.expect(rb"ready-42")
        facts.append("shell up in %.2fs" % (time.monotonic() - t0))

        # Field 5 of /proc/PID/stat is the process group, 8 the terminal's
        # foreground process group.
        p.send(b"echo \"pg=$(cut -d' ' -f5 /proc/$$/stat) fg=$(cut -d' ' -f8 /proc/$$/stat) pid1=$(cat /proc/1/comm)\"\n")
        m = p.expect(rb"pg=(\d+) fg=(\d+) pid1=(\S+)")
        pg, fg, pid1 = m.group(1), m.group(2), m.group(3).decode()
        facts.append("PID 1 %s, shell pgrp %s, tty foreground %s" % (pid1, pg.decode(), fg.decode()))
        ok = pg == fg and pid1 == "corral"

        p.send(b"sleep 30\n")
        time.sleep(0.5)
        t1 = time.monotonic()
        p.send(b"\x03")
        p.send(b"echo status-$?\n")
        m = p.expect(rb"status-(\d+)", timeout=5)
        took = time.monotonic() - t1
        facts.append("Ctrl+C ended sleep 30 in %.3fs (status %s)" % (took, m.group(1).decode()))
        ok = ok and m.group(1) == b"130" and took < 2

        p.send(b"exit 5\n")
        code = p.wait()
        facts.append("exit 5 -> podman run exited %d" % code)
        ok = ok and code == 5
    except (TimeoutError, EOFError, OSError) as e:
        p.kill()
        facts.append("error: %s" % e)
        ok = False
    print("; ".join(facts))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
