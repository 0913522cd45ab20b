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
"""
import argparse
import ctypes
import os
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
    def __init__(self, conf_text, name):
        self.dir = tempfile.mkdtemp(prefix=f"corral-stress-{name}-")
        self.conf = os.path.join(self.dir, "corral.conf")
        self.sock = os.path.join(self.dir, "corral.sock")
        self.write(conf_text)
        self.err = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen([CORRAL, "-q", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.err,
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
    args = ap.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("stress: cannot become a child subreaper")
    runs = {"signals": run_signals, "reloads": run_reloads, "many": run_many,
            "clients": run_clients, "idle": run_idle, "crashloop": run_crashloop}
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
