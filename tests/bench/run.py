#!/usr/bin/env python3
"""corral's benchmark suite: the SPEC §11 targets as measured figures (issue 8).

    make bench                              build, then the full suite (~2.5 min)
    make bench BENCH_ARGS=--quick           2 runs each, 10 s crash loop (~1 min)
    python3 tests/bench/run.py --only W4,W6 --reps 3

Needs build/corral and the helpers build/bench/{forkexec,sigprobe,orphans}
(from tests/bench/*.c; `make bench` builds them).  Python 3 standard library
only, Linux only; W7 needs root for `unshare --pid` and is skipped otherwise.

Each figure is the min, median and max over the runs (5, or 2 with --quick),
next to its goal from SPEC §11 (or issue 4 for the CPU per restart); a goal
is met when the median meets it.  The table goes to stdout, progress to
stderr, everything (every sample, notes, machine) to build/bench.json.

Workloads (issue 8's numbering; ../shared/bench/peers.py numbers its own):
  W1  Pss and RSS of corral (/proc/PID/smaps_rollup) with 1, 100 and 1000
      idle services, 1 s after the last one started; Pss per extra service.
  W2  wakeups (voluntary + involuntary context switches) of corral in 10 s
      with 10 idle services.
  W3  launch of corral -> all of 100 / 500 services started, against
      forkexec (a bare fork+exec loop of the same commands) in the same rep.
  W4  SIGUSR1 to corral -> the handler of a service (sigprobe) runs; per run
      the median of 20 signals.  Baseline: kill() straight to sigprobe.
  W5  50 services that exit at once on SIGTERM: SIGTERM -> corral exited.
  W6  a service ignoring SIGTERM, stop_timeout = 500ms: SIGTERM to corral ->
      the service died, minus 500 ms (the error of the SIGKILL's moment).
  W7  corral as PID 1 of `unshare --pid --fork --mount-proc`, 5000 orphans
      made as fast as one process can: go -> all reaped, last orphan made ->
      all reaped, peak zombies seen.
  W8  crash loop, restart_delay = 0, start_retries = 1000000: one run of
      60 s (10 s with --quick) cut into 5 equal slices for the spread of the
      CPU per restart; plus 10 s at default settings (1 s back-off doubling),
      one corral per run, all at the same time.
  W9  1000 services: start, `corralctl status` (once build/corralctl and the
      control_socket key exist), SIGTERM -> corral exited.
  W-idle  `corralctl status` with 1000 control connections open that send
      nothing (SPEC §12); per run the median of 5 calls.  Plus corral's
      descriptors while they are open.
  W-stuck  corral's stderr a pipe that the suite holds open and never reads,
      a crash-looping service (restart_delay = 0) and one with output =
      prefix flooding its stderr (stop_timeout = 1s).  Once the pipe holds
      60 KiB: `corralctl status` (per run the median and the max of 20
      calls), then SIGTERM -> corral exited, the pipe still unread (SPEC
      §12, §18).
  W-include  `corral -t` on a file that includes 1000 files of one service
      each (SPEC §13, §18): launch -> exit, the files in the page cache.
  W-output  one service (tests/bench/lines) writing output_mib MiB of
      100-byte lines through `output = prefix`, corral's stdout a pipe the
      suite reads, against `lines | cat` into the same kind of pipe in the
      same run; then with log_format = json.  Throughput of the payload,
      corral / cat, corral's CPU per GiB (utime+stime of corral alone),
      and lines lost, cut or mixed (counted lines and bytes against the
      exact figures) (SPEC §18).
  W-listen  100 `corralctl restart` of a service behind a socket corral owns
      (listen = tcp:127.0.0.1:PORT, tests/integration/svc/listener), one
      client connecting in a loop meanwhile: refused connections (goal 0)
      and the longest connect -> answer (SPEC §15, §18).

Every service is `sh -c ': > MARKER; exec sleep 100000'` unless noted: the
marker dir is watched with inotify, so the moment the N-th service started is
known without polling.  W2 and W8's default-settings runs share one 10 s
window: neither uses CPU to speak of, and wakeups are counted per process.

The suite is a child subreaper: whatever it starts stays in its process tree
and is SIGKILLed by pid after each run.  It never kills anything by name.
"""

import argparse
import ctypes
import datetime
import json
import os
import platform
import select
import shlex
import shutil
import resource
import signal
import socket
import statistics
import struct
import subprocess
import termios
import fcntl
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER_SH = ': > "$1"; exec sleep 100000'
STUCK_SH = 'trap "" TERM; : > "$1"; exec sleep 100000'
CRASH_SH = 'echo x >> "$1"; exit 1'
FLOOD_SH = 'exec yes >&2'
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", "--"]
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "LANG": "C.UTF-8"}
CLK_TCK = os.sysconf("SC_CLK_TCK")

FULL = dict(reps=5, settle=1.0, idle_n=10, window=10.0, signals=20,
            stop_n=50, stuck_timeout=0.5, orphans=5000, crash_window=60.0,
            crash_slices=5, status_calls=5, stuck_calls=20, output_mib=1024)
QUICK = dict(FULL, reps=2, signals=10, crash_window=10.0, output_mib=256)

BIG = 1000    # W9's number of services, also W1's largest size
IDLE_CLIENTS = 1000   # W-idle's connections that send nothing
# W-stuck: the unread pipe is full when it holds this much and took nothing
# for STUCK_STILL s.  Not 64 KiB: corral writes whole lines, up to PIPE_BUF
# at a time, and a write that does not fit in the last page takes a new
# one, so the pipe's 16 pages fill with some 56-64 KiB.
STUCK_FULL = 32 * 1024
STUCK_STILL = 0.2
# W-stuck: what corral may add to the stop window at exit (sink.c's
# FINAL_STALL_MS, the flush that gives up on a reader that takes nothing),
# and its own exit work (W5 measures that at 6 ms for 50 services).
STUCK_FLUSH_MS = 50
STUCK_EXIT_MS = 10
INCLUDE_FILES = 1000   # W-include: included files, one service each
LISTEN_RESTARTS = 100  # W-listen: restarts behind an owned socket
WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W-idle", "W-stuck",
             "W-include", "W-listen", "W-output"]
OUTPUT_LINE = 100   # W-output: bytes per line, as tests/bench/lines.c writes them


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ==========================================================================
# Figures: (key, label, unit, goal, test of the median or None when the row
# is information only).  Order = order of the table.
# ==========================================================================

def _works(_median):
    return True


FIGURES = [
    ("W1.pss.1", "W1 Pss, 1 idle service", "KiB", "", None),
    ("W1.pss.100", "W1 Pss, 100 idle services", "KiB", "< 512", lambda m: m < 512),
    ("W1.pss.1000", "W1 Pss, 1000 idle services", "KiB", "", None),
    ("W1.pss_per.100", "W1 Pss per extra service, 1 -> 100", "KiB", "< 2", lambda m: m < 2),
    ("W1.pss_per.1000", "W1 Pss per extra service, 1 -> 1000", "KiB", "< 2", lambda m: m < 2),
    ("W1.rss.1", "W1 RSS, 1 idle service", "KiB", "", None),
    ("W1.rss.100", "W1 RSS, 100 idle services", "KiB", "", None),
    ("W1.rss.1000", "W1 RSS, 1000 idle services", "KiB", "", None),
    ("W1.rss_per.1000", "W1 RSS per extra service, 1 -> 1000", "KiB", "", None),
    ("W2.wakeups", "W2 wakeups in 10 s, {idle_n} idle services", "", "0", lambda m: m == 0),
    ("W3.start.100", "W3 start -> 100 services started", "ms",
     "<= 142 (tini + sh)", lambda m: m <= 142),
    ("W3.floor.100", "W3 bare fork+exec loop, 100", "ms", "", None),
    ("W3.ratio.100", "W3 corral / fork+exec loop, 100", "x", "<= 1.2", lambda m: m <= 1.2),
    ("W3.start.500", "W3 start -> 500 services started", "ms", "", None),
    ("W3.floor.500", "W3 bare fork+exec loop, 500", "ms", "", None),
    ("W3.ratio.500", "W3 corral / fork+exec loop, 500", "x", "<= 1.2", lambda m: m <= 1.2),
    ("W4.relay", "W4 SIGUSR1 to corral -> service handler", "us", "<= 140", lambda m: m <= 140),
    ("W4.baseline", "W4 baseline: kill() straight to the service", "us", "", None),
    ("W5.exit", "W5 SIGTERM -> corral exited, {stop_n} services", "ms", "<= 7", lambda m: m <= 7),
    ("W5.gone", "W5 SIGTERM -> last service gone, {stop_n} services", "ms", "", None),
    ("W6.error", "W6 SIGKILL moment error, 500 ms window", "ms", "within +-10",
     lambda m: abs(m) <= 10),
    ("W7.total", "W7 {orphans} orphans as PID 1: go -> all reaped", "ms", "", None),
    ("W7.drain", "W7 last orphan made -> all reaped", "ms", "<= 1", lambda m: m <= 1),
    ("W7.peak", "W7 peak zombies seen", "", "<= 10", lambda m: m <= 10),
    ("W7.left", "W7 orphans not yet reaped when the last was made", "", "", None),
    ("W8.per_restart", "W8 crash loop, delay 0: corral CPU per restart", "us",
     "< 1000 (issue 4)", lambda m: m < 1000),
    ("W8.restarts", "W8 crash loop, delay 0: restarts per slice of {slice:g} s", "", "", None),
    ("W8.cpu", "W8 crash loop, delay 0: corral CPU in {crash_window:g} s (utime+stime)",
     "s", "", None),
    ("W8.cpu_ns", "W8 crash loop, delay 0: same, schedstat", "s", "", None),
    ("W8.total_restarts", "W8 crash loop, delay 0: restarts in {crash_window:g} s", "", "", None),
    ("W8.default.cpu_ns", "W8 crash loop, defaults: corral CPU in 10 s (schedstat)", "ms",
     "< 5", lambda m: m < 5),
    ("W8.default.cpu", "W8 crash loop, defaults: same, utime+stime", "s", "", None),
    ("W8.default.restarts", "W8 crash loop, defaults: restarts in 10 s", "",
     "3 (back-off 1, 2, 4 s)", lambda m: m == 3),
    ("W9.start", "W9 start -> 1000 services started", "ms", "works", _works),
    ("W9.status", "W9 corralctl status, 1000 services", "ms", "< 10", lambda m: m < 10),
    ("W9.exit", "W9 SIGTERM -> corral exited, 1000 services", "ms", "works", _works),
    ("W-idle.status", "W-idle corralctl status, 1000 idle clients", "ms", "< 100",
     lambda m: m < 100),
    ("W-idle.fds", "W-idle corral's fds with 1000 idle clients open", "", "", None),
    ("W-stuck.status", "W-stuck corralctl status, stderr stuck, median of {stuck_calls}",
     "ms", "< 100", lambda m: m < 100),
    ("W-stuck.status_max", "W-stuck corralctl status, stderr stuck, max of {stuck_calls}",
     "ms", "< 100", lambda m: m < 100),
    ("W-stuck.exit", "W-stuck SIGTERM -> corral exited, stderr stuck, 1 s window", "ms",
     f"<= {1000 + STUCK_FLUSH_MS + STUCK_EXIT_MS:,} (1 s window + "
     f"{STUCK_FLUSH_MS} ms flush + {STUCK_EXIT_MS} ms exit)",
     lambda m: m <= 1000 + STUCK_FLUSH_MS + STUCK_EXIT_MS),
    ("W-stuck.restarts", "W-stuck crash loop while stuck: restarts per s", "", "", None),
    ("W-stuck.fill", "W-stuck launch -> the unread pipe full", "ms", "", None),
    ("W-include.check", "W-include corral -t, {include_files} included files of 1 service",
     "ms", "< 200", lambda m: m < 200),
    ("W-listen.refused", "W-listen refused connections over {listen_restarts} restarts",
     "", "0", lambda m: m == 0),
    ("W-listen.max_wait", "W-listen longest connect -> answer during the restarts",
     "ms", "", None),
    ("W-listen.connections", "W-listen connections answered during the restarts",
     "", "", None),
    ("W-output.ratio", "W-output prefix, {output_mib} MiB of 100-byte lines: corral / cat",
     "x", ">= 0.7", lambda m: m >= 0.7),
    ("W-output.mbps", "W-output prefix: payload through corral", "MB/s", "", None),
    ("W-output.cat_mbps", "W-output baseline: `lines | cat` into the same pipe", "MB/s",
     "", None),
    ("W-output.cpu", "W-output prefix: corral CPU per GiB of payload", "s", "", None),
    ("W-output.json.ratio", "W-output log_format = json: corral / cat", "x", ">= 0.4",
     lambda m: m >= 0.4),
    ("W-output.json.mbps", "W-output json: payload through corral", "MB/s", "", None),
    ("W-output.json.cpu", "W-output json: corral CPU per GiB of payload", "s", "", None),
    ("W-output.bad", "W-output lines lost, cut or mixed (prefix and json)", "", "0",
     lambda m: m == 0),
]
FIGURE_KEYS = {f[0] for f in FIGURES}


class Results:
    """Samples and notes per figure key."""

    def __init__(self):
        self.data = {}

    def _cell(self, key):
        return self.data.setdefault(key, {"samples": [], "notes": [], "status": "ok"})

    def add(self, key, value):
        self._cell(key)["samples"].append(round(float(value), 4))

    def note(self, key, text):
        c = self._cell(key)
        if text not in c["notes"]:
            c["notes"].append(text)

    def mark(self, key, status, text):
        """status: 'failed' (something went wrong) or 'skipped' (cannot run here)."""
        c = self._cell(key)
        if c["status"] == "ok":
            c["status"] = status
        self.note(key, text)


# ==========================================================================
# Kernel interfaces through ctypes: subreaper, inotify.  /proc readers.
# ==========================================================================

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_CHILD_SUBREAPER = 36
IN_CREATE, IN_MOVED_TO, IN_Q_OVERFLOW = 0x100, 0x80, 0x4000


class Inotify:
    """Watches one directory and remembers when the n-th name appeared."""

    def __init__(self, path):
        self.path = str(path)
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, os.fsencode(self.path),
                                   IN_CREATE | IN_MOVED_TO) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.seen = set()
        self.reached = {}   # count -> time.monotonic() when first reached

    def _see(self, name, t):
        if name not in self.seen:
            self.seen.add(name)
            self.reached[len(self.seen)] = t

    def drain(self):
        while True:
            try:
                buf = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return
            t = time.monotonic()
            i = 0
            while i < len(buf):
                _wd, mask, _cookie, ln = struct.unpack_from("iIII", buf, i)
                name = buf[i + 16:i + 16 + ln].rstrip(b"\0").decode()
                i += 16 + ln
                if mask & IN_Q_OVERFLOW:
                    for n in os.listdir(self.path):
                        self._see(n, t)
                elif name:
                    self._see(name, t)

    def wait_count(self, n, deadline):
        """time.monotonic() at which n names existed, or None at the deadline."""
        while True:
            self.drain()
            if len(self.seen) >= n:
                return self.reached[n]
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([self.fd], [], [], left)

    def close(self):
        os.close(self.fd)


class Fifo:
    """Line reader on a FIFO the services write to.

    Opened read-write, so that it never sees end-of-file between writers and
    a service's open for writing never blocks.
    """

    def __init__(self, path):
        os.mkfifo(path)
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        self.buf = b""

    def line(self, deadline):
        """The next line, or None once the deadline has passed."""
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if select.select([self.fd], [], [], max(0.0, left))[0]:
                self.buf += os.read(self.fd, 4096)
            elif left <= 0:
                return None
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def close(self):
        os.close(self.fd)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode()
    except OSError:
        return None


def children(pid):
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        out.extend(int(x) for x in (_read(f"/proc/{pid}/task/{tid}/children") or "").split())
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def state(pid):
    """One-letter state from /proc/PID/stat, or None when the pid is gone."""
    txt = _read(f"/proc/{pid}/stat")
    return txt[txt.rfind(")") + 2] if txt else None


def comm(pid):
    return (_read(f"/proc/{pid}/comm") or "").strip()


def footprint(pid):
    """(Pss, Rss) in KiB."""
    vals = {}
    for line in (_read(f"/proc/{pid}/smaps_rollup") or "").splitlines():
        k, _, v = line.partition(":")
        if k in ("Pss", "Rss"):
            vals[k] = int(v.split()[0])
    return vals["Pss"], vals["Rss"]


def cpu(pid):
    """(utime+stime in s, schedstat time on CPU in ns)."""
    f = _read(f"/proc/{pid}/stat")
    f = f[f.rfind(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK, int(_read(f"/proc/{pid}/schedstat").split()[0])


def ctxsw(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        for line in (_read(f"/proc/{pid}/task/{tid}/status") or "").splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split()[1])
    return total


class PidWatch:
    """pidfds on a set of processes, to time their exits to the microsecond."""

    def __init__(self, pids):
        self.fds, self.exited = {}, {}
        for p in pids:
            try:
                self.fds[os.pidfd_open(p)] = p
            except ProcessLookupError:
                self.exited[p] = time.monotonic()

    def collect(self, deadline):
        """{pid: exit time} of those that exited before the deadline."""
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, select.POLLIN)
        while self.fds:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for fd, _ in poller.poll(max(1, int(left * 1000))):
                self.exited[self.fds.pop(fd)] = time.monotonic()
                poller.unregister(fd)
                os.close(fd)
        for fd in self.fds:
            os.close(fd)
        self.fds = {}
        return self.exited


class LoadMeter:
    """CPUs kept busy outside the suite's processes during a workload.

    Busy time from /proc/stat minus what this suite and its reaped
    descendants used, per wall second: other tenants of the machine, and
    kernel threads (e.g. freeing what W7's 5000 exits leave behind).  Plus
    the hypervisor's steal time.
    """

    def __init__(self):
        self.start = self._snap()

    @staticmethod
    def _snap():
        f = [int(x) for x in _read("/proc/stat").splitlines()[0].split()[1:]]
        tm = os.times()
        return (time.monotonic(), (sum(f[:8]) - f[3] - f[4]) / CLK_TCK, f[7] / CLK_TCK,
                tm.user + tm.system + tm.children_user + tm.children_system)

    def stop(self):
        end = self._snap()
        wall, busy, steal, ours = (e - s for e, s in zip(end, self.start))
        return {"wall_s": round(wall, 1),
                "other_cpus": round(max(0.0, busy - ours) / wall, 2),
                "steal_cpus": round(steal / wall, 3)}


# ==========================================================================
# Launching and teardown
# ==========================================================================

class Failed(Exception):
    """A run went wrong in a way that is a result (recorded, suite goes on)."""


class Run:
    """One launched process (corral, forkexec or a bare service) and its temp dir."""

    live = []

    def __init__(self, tmp, name):
        self.dir = Path(tempfile.mkdtemp(prefix=name + "-", dir=tmp))
        self.mdir = self.dir / "m"
        self.mdir.mkdir()
        self.watch = Inotify(self.mdir)
        self.proc = None
        self.pid = None
        self.t_launch = None
        self.fifo = None
        self.fds = []       # closed at teardown (W-stuck's unread pipe)
        Run.live.append(self)   # from now on teardown() cleans up after it

    def spawn(self, argv, pid1=False, stderr=None, stdout=None):
        """stderr, stdout: descriptors for the process's (default: out.log)."""
        if pid1:
            argv = UNSHARE + argv
        with open(self.dir / "out.log", "wb") as out:
            self.t_launch = time.monotonic()
            self.proc = subprocess.Popen(argv, cwd=self.dir, env=ENV,
                                         stdin=subprocess.DEVNULL,
                                         stdout=out if stdout is None else stdout,
                                         stderr=subprocess.STDOUT if stderr is None else stderr,
                                         start_new_session=True)
        self.pid = self.proc.pid
        if pid1:    # the process under test is unshare's child, once it exec'd
            deadline = time.monotonic() + 10
            name = os.path.basename(argv[len(UNSHARE)])[:15]
            while time.monotonic() < deadline:
                kids = children(self.proc.pid)
                if kids and comm(kids[0]) == name:
                    self.pid = kids[0]
                    break
                time.sleep(0.001)
            else:
                raise Failed("no PID 1 appeared under unshare")
        return self

    def log_tail(self):
        txt = _read(self.dir / "out.log") or ""
        return " | ".join(txt.strip().splitlines()[-3:])


def teardown(keep=False):
    """SIGKILL everything the suite started, by pid, and reap it."""
    me = os.getpid()
    for _ in range(1000):
        live = [p for p in descendants(me) if state(p) not in (None, "Z", "X")]
        if not live:
            break
        for p in live:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.002)
    for run in Run.live:
        if run.proc:
            run.proc.wait()
        run.watch.close()
        if run.fifo:
            run.fifo.close()
        for fd in run.fds:
            os.close(fd)
        if not keep:
            shutil.rmtree(run.dir, ignore_errors=True)
    Run.live.clear()
    while True:     # orphans that came back to the subreaper
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break


class Suite:
    """What every workload needs: paths, config, results, feature probes."""

    def __init__(self, args, cfg):
        self.cfg = cfg
        self.res = Results()
        self.keep = args.keep_tmp
        build = Path(args.build).resolve()
        self.corral_bin = build / "corral"
        self.ctl_bin = build / "corralctl"
        self.helper = {n: str(build / "bench" / n) for n in ("forkexec", "sigprobe", "orphans",
                                                              "lines")}
        missing = [str(p) for p in [self.corral_bin, *self.helper.values()]
                   if not os.access(p, os.X_OK)]
        if missing:
            raise SystemExit("missing " + ", ".join(missing) + ": run `make bench`")
        self.tmp = tempfile.mkdtemp(prefix="corral-bench-")
        self.has_socket_key = self._corral_accepts(
            f"control_socket = {self.tmp}/probe.sock")

    def _corral_accepts(self, line):
        """Whether `corral -t` accepts a [corral] line (keys are still being added)."""
        conf = Path(self.tmp) / "probe.conf"
        conf.write_text(f"[corral]\n{line}\n[service:x]\ncommand = /bin/true\n")
        r = subprocess.run([str(self.corral_bin), "-t", "-c", str(conf)], env=ENV,
                           stdin=subprocess.DEVNULL, capture_output=True)
        return r.returncode == 0

    def launch(self, name, make_argv, setup=None):
        """Start make_argv(run) with no corral around it."""
        run = Run(self.tmp, name)
        if setup:
            setup(run)
        return run.spawn(make_argv(run))

    def launch_corral(self, name, make_services, pid1=False, setup=None, stderr=None,
                      stdout=None, corral_keys=()):
        """Start corral on make_services(run): [(name, argv, {key: value})].

        setup(run), if given, runs before the launch (FIFOs the services open).
        stderr, if given, is the descriptor corral's stderr goes to.
        """
        run = Run(self.tmp, name)
        if setup:
            setup(run)
        lines = ["[corral]"] + list(corral_keys)
        if self.has_socket_key:     # its own socket, so runs never meet
            lines.append(f"control_socket = {run.dir / 'corral.sock'}")
        for svc, argv, keys in make_services(run):
            lines += ["", f"[service:{svc}]", "command = " + shlex.join(argv)]
            lines += [f"{k} = {v}" for k, v in keys.items()]
        conf = run.dir / "corral.conf"
        conf.write_text("\n".join(lines) + "\n")
        return run.spawn([str(self.corral_bin), "-c", str(conf)], pid1=pid1, stderr=stderr,
                         stdout=stdout)


def marker_services(n, **keys):
    """n services that each create their marker file, then are `sleep`."""
    return lambda run: [(f"s{i}", ["/bin/sh", "-c", MARKER_SH, "sh", f"{run.mdir}/s{i}"], keys)
                        for i in range(n)]


def wait_started(run, n, timeout=60.0):
    t = run.watch.wait_count(n, run.t_launch + timeout)
    if t is None:
        raise Failed(f"only {len(run.watch.seen)}/{n} services started in {timeout:g} s"
                     f" (log: {run.log_tail()})")
    return t


def guarded(suite, keys, fn, *args):
    """Run one measurement; a failure is recorded against keys, then teardown."""
    try:
        fn(*args)
    except Exception as e:  # noqa: BLE001 -- corral misbehaving is a result, not a crash
        why = str(e) if isinstance(e, Failed) else f"{type(e).__name__}: {e}"
        for k in keys:
            suite.res.mark(k, "failed", why)
        log(f"    failed: {why}")
    finally:
        teardown(suite.keep)


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return 0


def alive(pid):
    return state(pid) not in (None, "Z", "X")


# ==========================================================================
# Workloads.  Each function is one run; the loops over reps are in main().
# ==========================================================================

def run_size(suite, wls, n, rep):
    """W1 footprint, W3 start time, W9 1000 services: one corral with n services."""
    cfg, res = suite.cfg, suite.res
    run = suite.launch_corral(f"n{n}", marker_services(n))
    ms = (wait_started(run, n) - run.t_launch) * 1e3
    rep[("start", n)] = ms
    if "W3" in wls and n in (100, 500):
        res.add(f"W3.start.{n}", ms)
    if "W9" in wls and n == BIG:
        res.add("W9.start", ms)
    if "W1" in wls and n in (1, 100, BIG):
        time.sleep(cfg["settle"])
        rep[("pss", n)], rep[("rss", n)] = footprint(run.pid)
        res.add(f"W1.pss.{n}", rep[("pss", n)])
        res.add(f"W1.rss.{n}", rep[("rss", n)])
    if "W9" in wls and n == BIG:
        status_latency(suite, run)
        watch = PidWatch([run.pid])
        t0 = time.monotonic()
        os.kill(run.pid, signal.SIGTERM)
        exited = watch.collect(t0 + 60)
        if run.pid not in exited:
            res.mark("W9.exit", "failed", "corral still running 60 s after SIGTERM")
            return
        res.add("W9.exit", (exited[run.pid] - t0) * 1e3)
        if run.proc.wait() != 0:
            res.note("W9.exit", f"corral exited with status {run.proc.returncode}")


def status_latency(suite, run):
    """W9: `corralctl status` with BIG services, from spawn to exit."""
    cfg, res = suite.cfg, suite.res
    if not os.access(suite.ctl_bin, os.X_OK):
        res.mark("W9.status", "skipped", f"{suite.ctl_bin.name} does not exist yet")
        return
    if not suite.has_socket_key:
        res.mark("W9.status", "skipped", "corral does not accept control_socket yet")
        return
    argv = [str(suite.ctl_bin), "-s", str(run.dir / "corral.sock"), "status"]
    times = []
    for _ in range(cfg["status_calls"]):
        t0 = time.monotonic()
        r = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=30)
        times.append((time.monotonic() - t0) * 1e3)
        if r.returncode != 0:
            res.mark("W9.status", "failed", f"corralctl status exited {r.returncode}: "
                     + r.stderr.decode(errors="replace").strip()[:200])
            return
    res.add("W9.status", statistics.median(times))


def run_floor(suite, n, rep):
    """W3: the same n commands started by a bare fork+exec loop."""
    run = suite.launch(f"floor{n}", lambda r: [
        suite.helper["forkexec"], str(n), "/bin/sh", "-c", MARKER_SH, "sh", f"{r.mdir}/s{{}}"])
    ms = (wait_started(run, n) - run.t_launch) * 1e3
    rep[("floor", n)] = ms
    suite.res.add(f"W3.floor.{n}", ms)


def crash_services(**keys):
    """One service that appends a line to m/starts and exits 1 at once."""
    return lambda run: [("crash", ["/bin/sh", "-c", CRASH_SH, "sh", f"{run.mdir}/starts"], keys)]


def run_quiet(suite, n_idle, n_crash):
    """W2 idle wakeups and W8 at default settings, all runs in one 10 s window."""
    cfg, res = suite.cfg, suite.res
    win = cfg["window"]
    idles = [suite.launch_corral("idle", marker_services(cfg["idle_n"])) for _ in range(n_idle)]
    crashes = [suite.launch_corral("crashdef", crash_services()) for _ in range(n_crash)]
    snaps = {}
    # A crash-looping corral is measured from its service's first start.
    pending, deadline = list(crashes), time.monotonic() + 30
    while pending and time.monotonic() < deadline:
        for r in list(pending):
            r.watch.drain()
            if r.watch.seen:
                snaps[r] = (r.watch.reached[1], cpu(r.pid))
                pending.remove(r)
        time.sleep(0.001)
    for r in pending:
        res.mark("W8.default.cpu_ns", "failed", f"service never started ({r.log_tail()})")
    for r in idles:
        try:
            wait_started(r, cfg["idle_n"])
        except Failed as e:
            res.mark("W2.wakeups", "failed", str(e))
    time.sleep(cfg["settle"])
    for r in idles:
        if len(r.watch.seen) == cfg["idle_n"]:
            snaps[r] = (time.monotonic(), ctxsw(r.pid))
    for r, (t0, before) in sorted(snaps.items(), key=lambda kv: kv[1][0]):
        time.sleep(max(0.0, t0 + win - time.monotonic()))
        if not alive(r.pid):
            key = "W2.wakeups" if r in idles else "W8.default.cpu_ns"
            res.mark(key, "failed", f"corral exited ({r.log_tail()})")
        elif r in idles:
            res.add("W2.wakeups", (ctxsw(r.pid) - before) * 10.0 / win)
        else:
            after = cpu(r.pid)
            res.add("W8.default.cpu", after[0] - before[0])
            res.add("W8.default.cpu_ns", (after[1] - before[1]) / 1e6)
            res.add("W8.default.restarts", count_lines(r.mdir / "starts") - 1)


def run_relay(suite, via_corral):
    """W4: SIGUSR1 -> sigprobe's handler, through corral or straight (baseline)."""
    cfg, res = suite.cfg, suite.res

    def setup(run):
        run.fifo = Fifo(run.dir / "probe")

    def argv(run):
        return [suite.helper["sigprobe"], str(run.dir / "probe")]

    if via_corral:
        run = suite.launch_corral("relay", lambda r: [("probe", argv(r), {})], setup=setup)
    else:
        run = suite.launch("probe", argv, setup=setup)
    if run.fifo.line(time.monotonic() + 30) != "ready":
        raise Failed(f"sigprobe did not start ({run.log_tail()})")
    time.sleep(0.2)
    delays = []
    for _ in range(cfg["signals"]):
        # Idle CPUs between signals, as between real ones.
        time.sleep(0.01)
        t0 = time.monotonic_ns()
        os.kill(run.pid, signal.SIGUSR1)
        line = run.fifo.line(time.monotonic() + 3)
        if line is None:
            raise Failed("SIGUSR1 never reached the service")
        delays.append((int(line) - t0) / 1e3)
    res.add("W4.relay" if via_corral else "W4.baseline", statistics.median(delays))


def run_stop(suite):
    """W5: stop_n services that exit at once on SIGTERM; SIGTERM -> corral exited."""
    cfg, res = suite.cfg, suite.res
    n = cfg["stop_n"]
    run = suite.launch_corral("stop", marker_services(n))
    wait_started(run, n)
    time.sleep(cfg["settle"])
    services = children(run.pid)
    watch = PidWatch([run.pid] + services)
    t0 = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    exited = watch.collect(t0 + 15)
    if run.pid not in exited:
        raise Failed("corral still running 15 s after SIGTERM")
    res.add("W5.exit", (exited[run.pid] - t0) * 1e3)
    res.add("W5.gone", (max(exited.values()) - t0) * 1e3)
    if run.proc.wait() != 0:
        res.note("W5.exit", f"corral exited with status {run.proc.returncode}")


def run_window(suite):
    """W6: a service ignoring SIGTERM; when does SIGKILL land after the window?"""
    cfg, res = suite.cfg, suite.res
    window = cfg["stuck_timeout"]
    run = suite.launch_corral("window", lambda r: [(
        "stuck", ["/bin/sh", "-c", STUCK_SH, "sh", f"{r.mdir}/stuck"],
        {"stop_timeout": f"{window * 1000:.0f}ms"})])
    wait_started(run, 1)
    time.sleep(cfg["settle"])
    services = children(run.pid)
    if len(services) != 1:
        raise Failed(f"expected 1 child of corral, found {len(services)}")
    watch = PidWatch(services)
    t0 = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    exited = watch.collect(t0 + window + 5)
    if not exited:
        raise Failed("the service was still alive 5 s after its window")
    res.add("W6.error", (exited[services[0]] - t0 - window) * 1e3)


def pid_namespaces():
    """None when `unshare --pid` works here, else why not."""
    if os.geteuid() != 0:
        return "needs root (unshare --pid)"
    try:
        r = subprocess.run(UNSHARE + ["true"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
    except OSError as e:
        return f"unshare: {e}"
    if r.returncode != 0:
        return "unshare --pid refused: " + r.stderr.decode(errors="replace").strip()
    return None


def run_orphans(suite):
    """W7: corral as PID 1 reaps orphans made as fast as one process can."""
    cfg, res = suite.cfg, suite.res
    count = cfg["orphans"]

    def setup(run):
        run.fifo = Fifo(run.dir / "report")
        os.mkfifo(run.dir / "go")

    run = suite.launch_corral("orphans", lambda r: [("orphans", [
        suite.helper["orphans"], str(r.dir / "report"), str(r.dir / "go"), str(count)], {})],
        setup=setup, pid1=True)
    if run.fifo.line(time.monotonic() + 30) != "ready":
        raise Failed(f"producer did not start ({run.log_tail()})")
    time.sleep(0.3)
    init = run.pid
    legit = set(children(init))
    fd = os.open(run.dir / "go", os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"go\n")
    os.close(fd)
    t_go = time.monotonic()
    peak, t_done, left_at_done = 0, None, None
    while True:
        t_scan = time.monotonic()
        if t_scan > t_go + 60:
            raise Failed("orphans still unreaped after 60 s")
        states = [state(k) for k in children(init) if k not in legit]
        peak = max(peak, states.count("Z"))
        left = len(states) - states.count(None)
        if t_done is None:
            # Scan at most half of the time: thousands of /proc reads cost
            # CPU that the reaper needs too.  "done" wakes us at once.
            line = run.fifo.line(time.monotonic() + max(0.002, time.monotonic() - t_scan))
            if line is not None:
                t_done = int(line.split()[1]) / 1e9
            continue
        if left_at_done is None:
            left_at_done = left
        if left == 0:
            break
    t_clear = time.monotonic()
    res.add("W7.total", (t_clear - t_go) * 1e3)
    res.add("W7.drain", max(0.0, t_clear - t_done) * 1e3)
    res.add("W7.peak", peak)
    res.add("W7.left", left_at_done)


def run_crash_loop(suite):
    """W8: restart_delay = 0, never gives up; CPU per restart in equal slices."""
    cfg, res = suite.cfg, suite.res
    win, k = cfg["crash_window"], cfg["crash_slices"]
    run = suite.launch_corral("crashloop", crash_services(
        restart_delay="0", start_retries="1000000"))
    t_first = wait_started(run, 1, 30)
    first = prev = cpu(run.pid)
    starts = prev_starts = 1
    for i in range(1, k + 1):
        time.sleep(max(0.0, t_first + win * i / k - time.monotonic()))
        if not alive(run.pid):
            raise Failed(f"corral exited during the crash loop ({run.log_tail()})")
        now, starts = cpu(run.pid), count_lines(run.mdir / "starts")
        res.add("W8.restarts", starts - prev_starts)
        if starts > prev_starts:
            res.add("W8.per_restart", (now[1] - prev[1]) / (starts - prev_starts) / 1e3)
        prev, prev_starts = now, starts
    res.add("W8.cpu", prev[0] - first[0])
    res.add("W8.cpu_ns", (prev[1] - first[1]) / 1e9)
    res.add("W8.total_restarts", starts - 1)


# ==========================================================================
# Report
# ==========================================================================

def idle_connections(path, n, timeout):
    """n connections that never send anything; a full backlog is retried."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 256:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n + 256, max(n + 256, hard)))
    socks, end = [], time.monotonic() + timeout
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


def run_idle_clients(suite):
    """W-idle: `corralctl status` behind IDLE_CLIENTS connections that send nothing."""
    cfg, res = suite.cfg, suite.res
    if not os.access(suite.ctl_bin, os.X_OK) or not suite.has_socket_key:
        res.mark("W-idle.status", "skipped", "no corralctl or no control_socket key")
        return
    run = suite.launch_corral("idle-clients", marker_services(1))
    wait_started(run, 1)
    sock = str(run.dir / "corral.sock")
    socks = idle_connections(sock, IDLE_CLIENTS, 30)
    try:
        if len(socks) < IDLE_CLIENTS:
            raise Failed(f"only {len(socks)}/{IDLE_CLIENTS} idle connections connected in 30 s")
        argv = [str(suite.ctl_bin), "-s", sock, "status"]
        times = []
        for _ in range(cfg["status_calls"]):
            t0 = time.monotonic()
            r = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
            times.append((time.monotonic() - t0) * 1e3)
            if r.returncode != 0:
                raise Failed(f"corralctl status exited {r.returncode}: "
                             + r.stderr.decode(errors="replace").strip()[:200])
        res.add("W-idle.status", statistics.median(times))
        res.add("W-idle.fds", len(os.listdir(f"/proc/{run.pid}/fd")))
    finally:
        for s in socks:
            s.close()


def run_include(suite):
    """W-include: `corral -t` on INCLUDE_FILES included files, one service each."""
    d = Path(suite.tmp) / "include"
    confd = d / "conf.d"
    if not confd.exists():
        confd.mkdir(parents=True)
        for i in range(INCLUDE_FILES):
            (confd / f"{i:04d}.conf").write_text(
                f"[service:s{i}]\ncommand = /bin/true --n={i}\nafter = s0\n"
                if i else "[service:s0]\ncommand = /bin/true\n")
        (d / "corral.conf").write_text("[corral]\ninclude = conf.d/*.conf\n")
    argv = [str(suite.corral_bin), "-t", "-c", str(d / "corral.conf")]
    t0 = time.monotonic()
    r = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=60)
    ms = (time.monotonic() - t0) * 1e3
    if r.returncode != 0 or f"ok ({INCLUDE_FILES} services)".encode() not in r.stdout:
        raise Failed(f"corral -t exited {r.returncode}: "
                     + r.stderr.decode(errors="replace").strip()[:200])
    suite.res.add("W-include.check", ms)


def _listen_client(port, stop, out):
    """Connects in a loop until stop is set; counts refusals, the longest wait."""
    while not stop.is_set():
        t0 = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
                c.recv(64)
            out["ok"] += 1
            out["max"] = max(out["max"], time.monotonic() - t0)
        except ConnectionRefusedError:
            out["refused"] += 1
        except OSError as e:
            out["errors"].append(str(e))


def run_listen(suite):
    """W-listen: restarts of a service behind an owned socket, a client in a loop."""
    import threading
    listener = Path(suite.corral_bin).parent / "svc" / "listener"
    if not os.access(suite.ctl_bin, os.X_OK) or not os.access(listener, os.X_OK):
        suite.res.mark("W-listen.refused", "skipped", "no corralctl or svc/listener")
        return
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    run = suite.launch_corral("listen", lambda r: [
        ("app", [str(listener), str(r.dir / "starts")], {"listen": f"tcp:127.0.0.1:{port}"})])
    starts = run.dir / "starts"
    sock = str(run.dir / "corral.sock")

    def count():
        return count_lines(starts) if starts.exists() else 0
    deadline = time.monotonic() + 10
    while count() < 1:
        if time.monotonic() > deadline:
            raise Failed("the listener did not start")
        time.sleep(0.01)
    stop, out = threading.Event(), {"ok": 0, "refused": 0, "max": 0.0, "errors": []}
    client = threading.Thread(target=_listen_client, args=(port, stop, out))
    client.start()
    try:
        for i in range(LISTEN_RESTARTS):
            subprocess.run([str(suite.ctl_bin), "-s", sock, "restart", "app"], env=ENV,
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            deadline = time.monotonic() + 10
            while count() < i + 2:
                if time.monotonic() > deadline:
                    raise Failed(f"restart {i + 1} did not start the service")
                time.sleep(0.002)
    finally:
        stop.set()
        client.join()
    suite.res.add("W-listen.refused", out["refused"])
    suite.res.add("W-listen.max_wait", out["max"] * 1e3)
    suite.res.add("W-listen.connections", out["ok"])
    for e in out["errors"][:3]:
        suite.res.note("W-listen.refused", e)


def fionread(fd):
    """Bytes waiting in a pipe, from its read end."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]


def run_stuck(suite):
    """W-stuck: status and SIGTERM -> exit while nobody reads corral's stderr."""
    cfg, res = suite.cfg, suite.res
    if not os.access(suite.ctl_bin, os.X_OK) or not suite.has_socket_key:
        for k in ("W-stuck.status", "W-stuck.exit"):
            res.mark(k, "skipped", "no corralctl or no control_socket key")
        return
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        run = suite.launch_corral("stuck", lambda rn: [
            ("crash", ["/bin/sh", "-c", CRASH_SH, "sh", f"{rn.mdir}/starts"],
             {"restart_delay": "0", "start_retries": "1000000"}),
            ("flood", ["/bin/sh", "-c", FLOOD_SH],
             {"output": "prefix", "stop_timeout": "1s"})], stderr=w)
    finally:
        os.close(w)     # the pipe's only writer is corral (and its services)
    run.fds.append(r)   # held open, never read, until teardown
    deadline = run.t_launch + 30
    full, still_since = fionread(r), time.monotonic()
    while full < STUCK_FULL or time.monotonic() - still_since < STUCK_STILL:
        if time.monotonic() > deadline:
            raise Failed(f"only {fionread(r)} bytes in corral's stderr after 30 s")
        if not alive(run.pid):
            raise Failed("corral exited before its stderr filled")
        time.sleep(0.002)
        if fionread(r) != full:
            full, still_since = fionread(r), time.monotonic()
    res.add("W-stuck.fill", (still_since - run.t_launch) * 1e3)
    time.sleep(cfg["settle"])   # stuck for a while, not just at the edge
    starts0, t_s0 = count_lines(run.mdir / "starts"), time.monotonic()
    argv = [str(suite.ctl_bin), "-s", str(run.dir / "corral.sock"), "status"]
    times = []
    for _ in range(cfg["stuck_calls"]):
        t0 = time.monotonic()
        p = subprocess.run(argv, env=ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        times.append((time.monotonic() - t0) * 1e3)
        if p.returncode != 0 or b"flood" not in p.stdout:
            raise Failed(f"corralctl status exited {p.returncode}: "
                         + p.stderr.decode(errors="replace").strip()[:200])
        time.sleep(0.01)
    res.add("W-stuck.status", statistics.median(times))
    res.add("W-stuck.status_max", max(times))
    res.add("W-stuck.restarts", (count_lines(run.mdir / "starts") - starts0)
            / (time.monotonic() - t_s0))
    if fionread(r) < full:
        raise Failed(f"corral's stderr drained to {fionread(r)} bytes, nobody reading")
    watch = PidWatch([run.pid])
    t0 = time.monotonic()
    os.kill(run.pid, signal.SIGTERM)
    exited = watch.collect(t0 + 15)
    if run.pid not in exited:
        raise Failed("corral still running 15 s after SIGTERM, stderr stuck")
    res.add("W-stuck.exit", (exited[run.pid] - t0) * 1e3)
    if run.proc.wait() != 0:
        res.note("W-stuck.exit", f"corral exited with status {run.proc.returncode}")


def read_lines(r, n, deadline):
    """Reads the pipe until n lines came: (time of the last, bytes, lines)."""
    size = lines = 0
    while lines < n:
        if time.monotonic() > deadline:
            raise Failed(f"only {lines} of {n} lines within the bound")
        b = os.read(r, 1 << 20)
        if not b:
            break
        size += len(b)
        lines += b.count(b"\n")
    return time.monotonic(), size, lines


def output_baseline(suite, n, r, w):
    """`lines N | cat` into w: (seconds, cat's CPU)."""
    lines_bin = suite.helper["lines"]
    t0 = time.monotonic()
    wr = subprocess.Popen([lines_bin, str(n)], stdout=subprocess.PIPE, env=ENV)
    cat = subprocess.Popen(["cat"], stdin=wr.stdout, stdout=w, env=ENV)
    wr.stdout.close()
    os.close(w)
    t1, size, got = read_lines(r, n, t0 + 300)
    wr.wait()
    _, _, ru = os.wait4(cat.pid, 0)
    cat.returncode = 0
    if got != n or size != n * OUTPUT_LINE:
        raise Failed(f"cat gave {got} lines, {size} bytes")
    return t1 - t0, ru.ru_utime + ru.ru_stime


def run_output(suite, json_mode):
    """W-output: a service's lines through corral's prefix (or json) output."""
    cfg, res = suite.cfg, suite.res
    n = cfg["output_mib"] * (1 << 20) // OUTPUT_LINE
    key = "W-output.json" if json_mode else "W-output"
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        base_s, _ = output_baseline(suite, n, r, w)
    finally:
        os.close(r)
    r, w = os.pipe2(os.O_CLOEXEC)
    # corral's own lines go to a file: the pipe holds the service's alone.
    err = os.open(os.path.join(suite.tmp, "output-corral.err"),
                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        run = suite.launch_corral("output", lambda rn: [
            ("w", [suite.helper["lines"], str(n)],
             {"output": "prefix", "restart": "never"})],
            stdout=w, stderr=err, corral_keys=["log_format = json"] if json_mode else [])
    finally:
        os.close(w)
        os.close(err)
    run.fds.append(r)
    t1, size, got = read_lines(r, n, run.t_launch + 300)
    used, _ = cpu(run.pid)
    secs = t1 - run.t_launch
    payload = n * OUTPUT_LINE
    first = None
    if json_mode:   # every line is as long as the first: one time format
        first = len(json.dumps({"time": "2026-01-01T00:00:00.000+00:00", "service": "w",
                                "stream": "stdout", "level": "info",
                                "msg": "0" * 10 + " " + "x" * 88},
                               separators=(",", ":"))) + 1
    want = n * (first if json_mode else OUTPUT_LINE + len("w | "))
    res.add("W-output.bad", abs(got - n) + (size != want))
    if got != n or size != want:
        res.note("W-output.bad", f"{'json' if json_mode else 'prefix'}: {got} lines of {n}, "
                 f"{size} bytes of {want}")
    res.add(key + ".mbps", payload / secs / 1e6)
    res.add(key + ".ratio", base_s / secs)
    res.add(key + ".cpu", used * (1 << 30) / payload)
    if not json_mode:
        res.add("W-output.cat_mbps", payload / base_s / 1e6)


def fmt(v, unit):
    if unit == "" and float(v).is_integer():
        return f"{v:,.0f}"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if a >= 10 else f"{v:.2f}"


def summarize(res, cfg):
    """One dict per figure, in table order, with statistics and verdict."""
    args = dict(cfg, slice=cfg["crash_window"] / cfg["crash_slices"],
                include_files=INCLUDE_FILES, listen_restarts=LISTEN_RESTARTS)
    args.setdefault("output_mib", FULL["output_mib"])
    rows = []
    for key, label, unit, goal, test in FIGURES:
        c = res.data.get(key)
        if c is None:
            continue
        row = {"key": key, "label": label.format(**args), "unit": unit, "goal": goal,
               "status": c["status"], "notes": c["notes"], "samples": c["samples"],
               "n": len(c["samples"])}
        if c["samples"]:
            row.update(min=min(c["samples"]), median=statistics.median(c["samples"]),
                       max=max(c["samples"]))
            if test is None:
                row["met"] = None
            else:
                row["met"] = bool(test(row["median"])) and c["status"] == "ok"
        rows.append(row)
    return rows


def verdict(row):
    if not row["samples"]:
        return row["status"]
    if row["met"] is None:
        return ""
    if row["status"] != "ok":
        return "NOT met (runs failed)"
    return "met" if row["met"] else "NOT met"


def table(rows):
    head = ["Figure", "n", "min", "median", "max", "goal", "result"]
    body = []
    for r in rows:
        u = {"us": "µs"}.get(r["unit"], r["unit"])
        label = r["label"] + (f" [{u}]" if u and u != "x" else "")
        if r["samples"]:
            stats = [fmt(r[s], r["unit"]) for s in ("min", "median", "max")]
        else:
            stats = ["", "", ""]
        body.append([label, str(r["n"])] + stats + [r["goal"], verdict(r)])
    widths = [max(len(x[i]) for x in [head] + body) for i in range(len(head))]
    out = []
    for i, line in enumerate([head] + body):
        out.append("  ".join(c.ljust(w) if j in (0, 5, 6) else c.rjust(w)
                             for j, (c, w) in enumerate(zip(line, widths))).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    notes = [(r["label"], n) for r in rows for n in r["notes"]]
    if notes:
        out += ["", "Notes:"] + [f"- {label}: {n}" for label, n in notes]
    return "\n".join(out)


# ==========================================================================
# Main
# ==========================================================================

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 runs each, 10 s crash loop")
    ap.add_argument("--reps", type=int, help="runs per figure (default 5, quick 2)")
    ap.add_argument("--only", help="comma list of workloads, e.g. W1,W4")
    ap.add_argument("--build", default=str(REPO / "build"),
                    help="directory with corral and bench/ helpers (default build)")
    ap.add_argument("--out", help="JSON output (default BUILD/bench.json)")
    ap.add_argument("--keep-tmp", action="store_true", help="keep every run's temp dir")
    args = ap.parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.reps:
        cfg["reps"] = args.reps
    known = {w.upper(): w for w in WORKLOADS}
    wls = WORKLOADS if not args.only else [known.get(w.strip().upper(), w.strip())
                                           for w in args.only.split(",")]
    bad = [w for w in wls if w not in WORKLOADS]
    if bad:
        ap.error(f"unknown workload(s) {', '.join(bad)}; known: {', '.join(WORKLOADS)}")
    if sys.platform != "linux":
        raise SystemExit("Linux only")
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise SystemExit("prctl(PR_SET_CHILD_SUBREAPER) failed")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    suite = Suite(args, cfg)
    res, reps = suite.res, cfg["reps"]
    started = time.monotonic()
    now = datetime.datetime.now(datetime.timezone.utc)
    meta = {
        "date": now.strftime("%Y-%m-%d"), "started_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "mode": "quick" if args.quick else "full", "workloads": wls,
        "corral": subprocess.run([str(suite.corral_bin), "--version"], capture_output=True,
                                 text=True).stdout.strip(),
        "commit": subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "control_socket_key": suite.has_socket_key,
        "corralctl": os.access(suite.ctl_bin, os.X_OK),
        "kernel": platform.release(), "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_start": _read("/proc/loadavg").split()[:3],
        "load": {},
    }

    def phase(name, fn):
        log(name)
        meter = LoadMeter()
        fn()
        meta["load"][name.split()[0]] = meter.stop()

    def sizes():
        ns = set()
        if "W1" in wls:
            ns |= {1, 100, BIG}
        if "W3" in wls:
            ns |= {100, 500}
        if "W9" in wls:
            ns.add(BIG)
        for i in range(reps):
            rep = {}
            for n in sorted(ns):
                # Alternate which goes first, so warm caches favour neither.
                order = ["corral", "floor"] if i % 2 == 0 else ["floor", "corral"]
                for what in order:
                    if what == "floor" and not ("W3" in wls and n in (100, 500)):
                        continue
                    log(f"  N={n} run {i + 1}: {what}")
                    if what == "corral":
                        keys = [f"W1.pss.{n}", f"W3.start.{n}"]
                        keys += ["W9.start"] if n == BIG else []
                        keys = [k for k in keys if k in FIGURE_KEYS and k[:2] in wls]
                        guarded(suite, keys, run_size, suite, wls, n, rep)
                    else:
                        guarded(suite, [f"W3.floor.{n}"], run_floor, suite, n, rep)
                if ("start", n) in rep and ("floor", n) in rep:
                    res.add(f"W3.ratio.{n}", rep[("start", n)] / rep[("floor", n)])
            for n in (100, BIG):
                if ("pss", 1) in rep and ("pss", n) in rep:
                    res.add(f"W1.pss_per.{n}", (rep[("pss", n)] - rep[("pss", 1)]) / (n - 1))
            if ("rss", 1) in rep and ("rss", BIG) in rep:
                res.add(f"W1.rss_per.{BIG}", (rep[("rss", BIG)] - rep[("rss", 1)]) / (BIG - 1))

    def repeat(fn, keys, *a):
        def loop():
            for i in range(reps):
                log(f"  run {i + 1}")
                guarded(suite, keys, fn, suite, *a)
        return loop

    def orphans():
        why = pid_namespaces()
        if why:
            for k in ("W7.total", "W7.drain", "W7.peak", "W7.left"):
                res.mark(k, "skipped", why)
            log(f"  skipped: {why}")
            return
        repeat(run_orphans, ["W7.total", "W7.drain", "W7.peak"])()

    def relay():
        for i in range(reps):
            for via in (False, True):
                log(f"  run {i + 1}: {'through corral' if via else 'baseline'}")
                guarded(suite, ["W4.relay" if via else "W4.baseline"], run_relay, suite, via)

    try:
        if {"W1", "W3", "W9"} & set(wls):
            phase("W1/W3/W9 footprint, start time, 1000 services", sizes)
        if {"W2", "W8"} & set(wls):
            phase("W2/W8 idle wakeups and crash loop at default settings, together",
                  lambda: guarded(suite, ["W2.wakeups", "W8.default.cpu_ns"], run_quiet, suite,
                                  reps if "W2" in wls else 0, reps if "W8" in wls else 0))
        if "W4" in wls:
            phase("W4 signal relay", relay)
        if "W5" in wls:
            phase("W5 shutdown", repeat(run_stop, ["W5.exit"]))
        if "W6" in wls:
            phase("W6 window precision", repeat(run_window, ["W6.error"]))
        if "W7" in wls:
            phase("W7 orphans as PID 1", orphans)
        if "W8" in wls:
            phase(f"W8 crash loop, restart_delay = 0, {cfg['crash_window']:g} s",
                  lambda: guarded(suite, ["W8.per_restart"], run_crash_loop, suite))
        if "W-idle" in wls:
            phase(f"W-idle status behind {IDLE_CLIENTS} idle clients",
                  repeat(run_idle_clients, ["W-idle.status"]))
        if "W-stuck" in wls:
            phase("W-stuck status and shutdown, stderr never read",
                  repeat(run_stuck, ["W-stuck.status", "W-stuck.exit"]))
        if "W-include" in wls:
            phase(f"W-include corral -t, {INCLUDE_FILES} included files",
                  repeat(run_include, ["W-include.check"]))
        if "W-listen" in wls:
            phase(f"W-listen {LISTEN_RESTARTS} restarts behind an owned socket",
                  repeat(run_listen, ["W-listen.refused"]))
        if "W-output" in wls:
            phase(f"W-output {cfg['output_mib']} MiB of lines, prefix and json",
                  repeat(lambda st: (run_output(st, False), run_output(st, True)),
                         ["W-output.ratio", "W-output.json.ratio"]))
    finally:
        teardown(suite.keep)
        if not suite.keep:
            shutil.rmtree(suite.tmp, ignore_errors=True)

    meta["loadavg_end"] = _read("/proc/loadavg").split()[:3]
    meta["duration_s"] = round(time.monotonic() - started, 1)
    rows = summarize(res, cfg)
    out = Path(args.out) if args.out else Path(args.build) / "bench.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "config": cfg, "figures": rows},
                              indent=1, ensure_ascii=False) + "\n")
    print(f"corral benchmarks, {meta['date']}, {meta['mode']} ({reps} runs), "
          f"{meta['corral']} {meta['commit']}, {platform.node()}, kernel {meta['kernel']}, "
          f"{meta['cpus']} CPUs; median decides the result")
    print(table(rows))
    print("\nCPUs busy outside the suite's processes (other tenants, kernel threads; "
          "of %d): " % meta["cpus"] + ", ".join(
        f"{k} {v['other_cpus']:.2f}" for k, v in meta["load"].items()))
    log(f"wrote {out}; total {meta['duration_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
