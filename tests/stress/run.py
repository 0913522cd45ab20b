#!/usr/bin/env python3
"""Stress and soak runs of corral (`make stress`), each printing its figures.

Not part of `make check`: these take minutes and load the machine.  Every
run starts build/corral with a config of its own in a temporary directory,
drives it, checks what must hold, and kills whatever is left by pid.

  signals   100,000 signals of mixed kinds during a shutdown of 20 services
            with slow cleanup hooks: every hook completes, exit status right
  reloads   1,000 reloads that add and remove services: fd count and RSS at
            the end equal to those after the first 10
  many      1,000 services: start, `corralctl status`, shutdown
  crashloop one service crash-looping with restart_delay = 0 for --soak
            seconds (default 240): RSS flat, no fd growth
  clients   100 clients hammering the control socket while services restart
  idle      1,000 control connections that send nothing and stay open, then
            --status `corralctl status` calls: latency median and max, and
            corral's fd count before and after
  stuck-stderr  corral's stderr a pipe nobody reads (held open), a service
            crash-looping with restart_delay = 0 and one with output = prefix
            flooding its stderr, for --stuck seconds (default 60, at most
            600): every second `corralctl status` latency, VmRSS and fd
            count; then SIGTERM with a reader reading from then on: exit
            time, every line whole, and the "N lines dropped" line once the
            stream drained.  Fails if status ever takes over 1 s, RSS grows
            by more than 1 MiB, or corral takes over 10 s to exit
"""
import argparse
import ctypes
import fcntl
import os
import re
import select
import struct
import termios
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORRAL = os.path.join(ROOT, "build", "corral")
CORRALCTL = os.path.join(ROOT, "build", "corralctl")
PR_SET_CHILD_SUBREAPER = 36


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def steady_nfds(pid):
    """Descriptors of pid, the least of samples over half a second.

    A restarting service holds an exec-status pipe from vfork() to exec,
    which on a loaded machine can take milliseconds: samples taken at once
    can all fall into one such moment (seen once: 7 -> 6 fds).
    """
    least = nfds(pid)
    for _ in range(50):
        time.sleep(0.01)
        least = min(least, nfds(pid))
    return least


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Corral:
    def __init__(self, conf_text, name, stderr=None):
        """stderr: a descriptor for corral's stderr; then corral is not -q."""
        self.dir = tempfile.mkdtemp(prefix=f"corral-stress-{name}-")
        self.conf = os.path.join(self.dir, "corral.conf")
        self.sock = os.path.join(self.dir, "corral.sock")
        self.write(conf_text)
        if stderr is None:
            self.err = open(os.path.join(self.dir, "stderr"), "w")
        argv = [CORRAL, "-q", "-c", self.conf] if stderr is None else [CORRAL, "-c", self.conf]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.err if stderr is None else stderr,
                                     start_new_session=True)

    def write(self, text):
        text = text.replace("@D@", self.dir)
        tmp = self.conf + ".new"
        with open(tmp, "w") as f:
            f.write(f"[corral]\ncontrol_socket = {self.dir}/corral.sock\n")
            f.write(text)
        os.rename(tmp, self.conf)

    def ctl(self, *args):
        return subprocess.run([CORRALCTL, "-s", self.sock, *args],
                              capture_output=True, text=True, timeout=60)

    def wait_for(self, cond, timeout, what):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if cond():
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what}")

    def running(self, n):
        r = self.ctl("status")
        return r.returncode == 0 and r.stdout.count(" running ") >= n

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill_tree()

    def kill_tree(self):
        """Kill by pid whatever of this run is left (we are a subreaper)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for pid in children_of(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        reap()


def children_of(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_signals(args):
    # Each takes 1 s to stop on TERM, so the second signal always kills.
    svcs = "".join(
        f"[service:s{i}]\ncommand = sh -c 'trap \"sleep 1\" TERM && sleep 1000 & wait'\n"
        f"cleanup = sh -c 'sleep 1.5 && touch @D@/hook{i}'\n" for i in range(20))
    c = Corral(svcs, "signals")
    c.wait_for(lambda: c.running(20), 30, "20 services")
    c.proc.send_signal(signal.SIGTERM)
    kinds = [signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGWINCH, signal.SIGHUP, signal.SIGALRM]
    t0 = time.monotonic()
    sent = 0
    for i in range(args.signals):
        try:
            os.kill(c.proc.pid, kinds[i % len(kinds)])
        except ProcessLookupError:
            break
        sent += 1
    rate = sent / (time.monotonic() - t0)
    status = c.stop()
    hooks = sum(os.path.exists(os.path.join(c.dir, f"hook{i}")) for i in range(20))
    # The second TERM ends the windows with KILL: the shutdown is unclean.
    ok = hooks == 20 and status == 3
    print(f"signals: sent {sent} signals ({rate:,.0f}/s) during the shutdown; "
          f"{hooks}/20 cleanup hooks completed; exit status {status} "
          f"-> {'ok' if ok else 'FAIL'}")
    return ok


def run_reloads(args):
    base = "[service:keep]\ncommand = sleep 1000\n"
    c = Corral(base, "reloads")
    c.wait_for(lambda: c.running(1), 10, "keep")
    figures = {}
    for i in range(args.reloads):
        extra = f"[service:x{i % 7}]\ncommand = sleep 1000\n" if i % 2 else ""
        c.write(base + extra)
        r = c.ctl("reload")
        if r.returncode != 0:
            print(f"reloads: reload {i} failed: {r.stderr.strip()}")
            c.stop()
            return False
        if i + 1 == 10:
            figures["after 10"] = (nfds(c.proc.pid), rss_kib(c.proc.pid))
    # Let the last removed service finish stopping.
    c.wait_for(lambda: " stopping " not in c.ctl("status").stdout, 30, "settle")
    time.sleep(0.2)
    figures["at the end"] = (nfds(c.proc.pid), rss_kib(c.proc.pid))
    status = c.stop()
    (fd10, rss10), (fd_end, rss_end) = figures["after 10"], figures["at the end"]
    # RSS may move by a few pages of allocator slack, not with the count.
    ok = fd_end == fd10 and rss_end - rss10 <= 64 and status == 0
    print(f"reloads: {args.reloads} reloads; fds {fd10} after 10, {fd_end} at "
          f"the end; RSS {rss10} KiB after 10, {rss_end} KiB at the end; exit "
          f"{status} -> {'ok' if ok else 'FAIL'}")
    return ok


def run_many(args):
    n = args.many
    svcs = "".join(f"[service:s{i}]\ncommand = sleep 1000\n" for i in range(n))
    t0 = time.monotonic()
    c = Corral(svcs, "many")
    c.wait_for(lambda: c.running(n), 120, f"{n} services")
    started = time.monotonic() - t0
    lat = []
    for _ in range(20):
        t = time.monotonic()
        r = c.ctl("status")
        lat.append(time.monotonic() - t)
        assert r.returncode == 0
    lat.sort()
    t = time.monotonic()
    status = c.stop()
    stopped = time.monotonic() - t
    ok = status == 0
    print(f"many: {n} services running in {started:.2f} s; corralctl status "
          f"median {lat[len(lat) // 2] * 1000:.1f} ms; shutdown {stopped:.2f} s; "
          f"exit {status} -> {'ok' if ok else 'FAIL'}")
    return ok


def run_crashloop(args):
    c = Corral("[service:loop]\ncommand = sh -c 'exit 1'\nrestart_delay = 0\n"
               "start_retries = 1000000\n", "crashloop")
    time.sleep(2)
    pid = c.proc.pid
    fd0, rss0, cpu0 = steady_nfds(pid), rss_kib(pid), cpu_s(pid)
    samples = []
    end = time.monotonic() + args.soak
    while time.monotonic() < end:
        time.sleep(min(10, args.soak))
        samples.append((steady_nfds(pid), rss_kib(pid)))
    cpu = cpu_s(pid) - cpu0
    restarts = int(c.ctl("status", "--json").stdout.split('"restarts":')[1]
                   .split(",")[0])
    status = c.stop()
    fd1, rss1 = samples[-1]
    ok = fd1 == fd0 and rss1 - rss0 <= 64
    print(f"crashloop: {args.soak} s, {restarts} restarts, corral CPU "
          f"{cpu:.2f} s ({cpu / max(restarts, 1) * 1e6:.0f} µs per restart); "
          f"fds {fd0} -> {fd1}; RSS {rss0} -> {rss1} KiB (max "
          f"{max(s[1] for s in samples)}); exit {status} -> "
          f"{'ok' if ok else 'FAIL'}")
    return ok


def run_clients(args):
    svcs = "".join(f"[service:r{i}]\ncommand = sh -c 'sleep 0.2'\n"
                   "restart = always\nstart_seconds = 0\n" for i in range(5))
    svcs += "[service:steady]\ncommand = sleep 1000\n"
    c = Corral(svcs, "clients")
    c.wait_for(lambda: c.running(1), 10, "steady")
    fd0 = steady_nfds(c.proc.pid)
    errors = []
    done = [0]
    lock = threading.Lock()

    def hammer():
        for _ in range(args.requests):
            try:
                s = socket.socket(socket.AF_UNIX)
                # Blocking, as corralctl: it waits while the backlog is full.
                s.connect(c.sock)
                s.settimeout(10)
                s.sendall(b"status --json\n")
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                s.close()
                if not data.startswith(b"ok\n"):
                    raise RuntimeError(data[:40])
                with lock:
                    done[0] += 1
            except Exception as e:  # recorded, then reported
                with lock:
                    errors.append(repr(e))

    t0 = time.monotonic()
    threads = [threading.Thread(target=hammer) for _ in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    fd1 = steady_nfds(c.proc.pid)
    status = c.stop()
    ok = not errors and fd1 == fd0
    print(f"clients: 100 clients x {args.requests} requests: {done[0]} answered "
          f"in {took:.1f} s ({done[0] / took:,.0f}/s), {len(errors)} errors "
          f"{errors[:2]}; fds {fd0} -> {fd1}; exit {status} -> "
          f"{'ok' if ok else 'FAIL'}")
    return ok


def idle_connections(path, n, timeout):
    """n connections that never send anything; a full backlog is retried."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(n + 256, soft), max(n + 256, hard)))
    socks = []
    end = time.monotonic() + timeout
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX)
        s.setblocking(False)
        while True:
            try:
                s.connect(path)
                socks.append(s)
                break
            except BlockingIOError:
                if time.monotonic() > end:
                    s.close()
                    break
                time.sleep(0.001)
    return socks


def run_idle(args):
    c = Corral("[service:steady]\ncommand = sleep 1000\n", "idle")
    c.wait_for(lambda: c.running(1), 10, "steady")
    fd0 = steady_nfds(c.proc.pid)
    t = time.monotonic()
    socks = idle_connections(c.sock, args.idle, 30)
    flood = time.monotonic() - t
    lat, errors = [], []
    for _ in range(args.status):
        t = time.monotonic()
        r = c.ctl("status")
        lat.append(time.monotonic() - t)
        if r.returncode != 0 or " running " not in r.stdout:
            errors.append(r.stderr.strip() or f"exit {r.returncode}")
    fd_during = nfds(c.proc.pid)
    ended = 0
    for s in socks:
        try:
            if s.recv(1) == b"":
                ended += 1
        except BlockingIOError:
            pass
        s.close()
    c.wait_for(lambda: nfds(c.proc.pid) <= fd0, 10, "corral's fds back")
    fd1 = steady_nfds(c.proc.pid)
    status = c.stop()
    lat.sort()
    ok = len(socks) == args.idle and not errors and fd1 == fd0 and status == 0
    print(f"idle: {len(socks)}/{args.idle} idle connections in {flood:.2f} s, "
          f"{ended} ended by corral to make room; {args.status} x corralctl "
          f"status: median {lat[len(lat) // 2] * 1000:.1f} ms, max "
          f"{lat[-1] * 1000:.1f} ms, {len(errors)} errors {errors[:2]}; fds "
          f"{fd0} before, {fd_during} with the idle clients, {fd1} after; "
          f"exit {status} -> {'ok' if ok else 'FAIL'}")
    return ok


def fionread(fd):
    """Bytes waiting in a pipe, from its read end."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


STUCK_FULL = 60 * 1024
WHOLE = re.compile(rb"^(corral: (?!.*corral: ).*|flood \| y)$")
DRAINED = re.compile(rb"^corral: \d+ lines? dropped: stderr was not being read$")
AT_EXIT = re.compile(rb"^corral: \d+ lines? dropped at exit: stderr was not being read$")


def run_stuck_stderr(args):
    secs = max(1, min(args.stuck, 600))
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        c = Corral("[service:crash]\ncommand = sh -c 'exit 1'\nrestart_delay = 0\n"
                   "start_retries = 1000000\n"
                   "[service:flood]\ncommand = sh -c 'exec yes >&2'\noutput = prefix\n"
                   "stop_timeout = 1s\n", "stuck-stderr", stderr=w)
    finally:
        os.close(w)
    pid = c.proc.pid
    try:
        end = time.monotonic() + 30
        while fionread(r) < STUCK_FULL:
            if time.monotonic() > end or c.proc.poll() is not None:
                raise AssertionError(f"corral's stderr never filled ({fionread(r)} bytes)")
            time.sleep(0.005)
        c.wait_for(lambda: c.running(1), 10, "status to answer")
        fd0, rss0 = steady_nfds(pid), rss_kib(pid)
        lat, rss, fds, least = [], [], [], fionread(r)
        t_next = time.monotonic()
        t_end = t_next + secs
        while time.monotonic() < t_end:
            t_next += 1
            t = time.monotonic()
            try:
                p = subprocess.run([CORRALCTL, "-s", c.sock, "status"],
                                   capture_output=True, timeout=10)
                lat.append(time.monotonic() - t if p.returncode == 0 else float("inf"))
            except subprocess.TimeoutExpired:
                lat.append(float("inf"))
            rss.append(rss_kib(pid))
            fds.append(nfds(pid))
            least = min(least, fionread(r))
            time.sleep(max(0.0, t_next - time.monotonic()))
        fd1, rss1 = steady_nfds(pid), rss_kib(pid)

        # SIGTERM, and from then on a reader that reads everything.
        data, drained = [], []
        pidfd = os.pidfd_open(pid)

        def reader():
            while True:
                chunk = os.read(r, 65536)
                if not chunk:
                    return
                data.append(chunk)
                if not drained and fionread(r) == 0 and \
                        not select.select([pidfd], [], [], 0)[0]:
                    drained.append(time.monotonic())

        th = threading.Thread(target=reader, daemon=True)
        t0 = time.monotonic()
        c.proc.send_signal(signal.SIGTERM)
        th.start()
        exited = bool(select.select([pidfd], [], [], 10)[0])
        took = time.monotonic() - t0
        os.close(pidfd)
        status = c.proc.wait() if exited else None
    finally:
        c.kill_tree()
    th.join(5)      # EOF once corral and its services are gone
    text = b"".join(data)
    lines = text.split(b"\n")
    tail = lines.pop()      # b"" when the last line ended
    torn = [ln for ln in lines if not WHOLE.match(ln)] + ([tail] if tail else [])
    dropped = [ln.decode() for ln in lines if DRAINED.match(ln) or AT_EXIT.match(ln)]
    drained_ok = not drained or any(DRAINED.match(ln) for ln in lines)
    os.close(r)
    worst = max(lat)
    ok = (worst <= 1.0 and max(rss) - rss0 <= 1024 and rss1 - rss0 <= 1024
          and exited and not torn and drained_ok and not th.is_alive())
    srt = sorted(lat)
    print(f"stuck-stderr: {secs} s with corral's stderr unread (pipe never below "
          f"{least} bytes); {len(lat)} x corralctl status: median "
          f"{srt[len(srt) // 2] * 1000:.1f} ms, max {worst * 1000:.1f} ms; RSS "
          f"{rss0} -> {rss1} KiB (max {max(rss)}); fds {fd0} -> {fd1} (samples "
          f"{min(fds)}-{max(fds)}); SIGTERM -> exit "
          + (f"{took * 1000:.0f} ms, status {status}" if exited else "over 10 s")
          + f"; read after SIGTERM: {len(text):,} bytes, {len(lines):,} lines, "
          f"{len(torn)} not whole {[ln[:60] for ln in torn[:2]]}; drained before "
          f"exit: {'yes' if drained else 'no'}; dropped-lines line: "
          f"{dropped if dropped else 'none'} -> {'ok' if ok else 'FAIL'}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated runs")
    ap.add_argument("--signals", type=int, default=100000)
    ap.add_argument("--reloads", type=int, default=1000)
    ap.add_argument("--many", type=int, default=1000)
    ap.add_argument("--soak", type=int, default=240)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--status", type=int, default=100)
    ap.add_argument("--stuck", type=int, default=60,
                    help="seconds of stuck-stderr (at most 600)")
    args = ap.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("stress: cannot become a child subreaper")
    runs = {"signals": run_signals, "reloads": run_reloads, "many": run_many,
            "clients": run_clients, "idle": run_idle, "crashloop": run_crashloop,
            "stuck-stderr": run_stuck_stderr}
    names = args.only.split(",") if args.only else list(runs)
    failed = 0
    for name in names:
        try:
            ok = runs[name](args)
        except Exception as e:
            print(f"{name}: FAIL: {e}")
            ok = False
        failed += not ok
    print(f"stress: {len(names) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
