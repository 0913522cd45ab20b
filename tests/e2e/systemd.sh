#!/bin/bash
# End-to-end: conf/corral.service under a real systemd.
#
# A Debian root made with mmdebstrap (cached in /var/tmp/corral-e2e/) is
# booted with `systemd-nspawn -b`; build/corral, build/corralctl and
# conf/corral.service are installed in it as `make install` would, with a
# test /etc/corral.conf and a drop-in that lowers TimeoutStopSec and
# WatchdogSec.  Then systemctl, run inside through nsenter, checks:
#   - start waits for READY=1: the unit is active only once the service is up;
#   - services do not see NOTIFY_SOCKET / WATCHDOG_USEC;
#   - the watchdog holds well past WatchdogSec;
#   - `systemctl reload` goes through RELOADING=1 / READY=1 back to active,
#     and a reload of a broken file changes nothing;
#   - `systemctl stop` lets a cleanup hook outlive TimeoutStopSec thanks to
#     EXTEND_TIMEOUT_USEC, and the unit stops without SIGKILL.
# Needs root; skips (exit 0) with the reason when it cannot run here.
set -u
E2E_NAME=systemd
. "$(dirname "$0")/lib.sh"

READY_DELAY=2		# the service becomes ready this long after it starts
HOOK_SECONDS=6		# the cleanup hook at shutdown takes this long
STOP_TIMEOUT=3		# TimeoutStopSec of the drop-in: shorter than the hook
WATCHDOG=2		# WatchdogSec of the drop-in
WATCHDOG_HOLD=7		# how long the test watches the watchdog
INCLUDE=systemd,systemd-sysv,libev4,libinih1,procps

[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn -b)"
need_binaries
cache_lock
need_tools systemd-container:systemd-nspawn mmdebstrap:mmdebstrap \
    util-linux:nsenter

SUITE=$(host_codename)
MIRROR=$(host_mirror "$SUITE")
ROOTFS=$E2E_CACHE/nspawn-root
STAMP="$SUITE $INCLUDE $MIRROR"

# --- the cached root ----------------------------------------------------
if [ ! -d "$ROOTFS" ] || [ "$(cat "$ROOTFS.stamp" 2>/dev/null)" != "$STAMP" ]; then
	say "building $ROOTFS ($SUITE from $MIRROR; about a minute)"
	rm -rf "$ROOTFS" "$ROOTFS.tmp" "$ROOTFS.stamp"
	t=$(now)
	if ! mmdebstrap --variant=minbase --include="$INCLUDE" "$SUITE" \
	    "$ROOTFS.tmp" "$MIRROR" </dev/null >"$E2E_CACHE/nspawn-root.log" 2>&1; then
		rm -rf "$ROOTFS.tmp"
		skip "mmdebstrap $SUITE $MIRROR failed: $(tail -n 1 "$E2E_CACHE/nspawn-root.log")"
	fi
	mv "$ROOTFS.tmp" "$ROOTFS"
	printf '%s\n' "$STAMP" >"$ROOTFS.stamp"
	say "root built in $(elapsed "$t")s"
else
	say "reusing $ROOTFS"
fi

# --- what gets installed in the guest -----------------------------------
WORK=$(mktemp -d "$E2E_CACHE/run.XXXXXX")
STAGE=$WORK/stage
mkdir -p "$STAGE"
cp "$E2E_ROOT/build/corral" "$E2E_ROOT/build/corralctl" \
    "$E2E_ROOT/conf/corral.service" "$STAGE/"

cat >"$STAGE/e2e.conf" <<EOF
# Drop-in of tests/e2e/systemd.sh: a stop timeout shorter than the cleanup
# hook (only EXTEND_TIMEOUT_USEC can save it), and a short watchdog.
[Service]
TimeoutStopSec=${STOP_TIMEOUT}s
WatchdogSec=${WATCHDOG}s
EOF

cat >"$STAGE/corral.conf" <<'EOF'
# /etc/corral.conf of tests/e2e/systemd.sh
[corral]
stop_timeout = 5s
cleanup_timeout = 20s
shutdown_deadline = 0

[service:app]
command = /usr/local/lib/corral-e2e/app
ready_check = test -e /var/lib/corral-e2e/app.ready
ready_interval = 100ms
ready_timeout = 30s
cleanup = /usr/local/lib/corral-e2e/hook
cleanup_timeout = 20s
EOF

cat >"$STAGE/extra.conf" <<'EOF'

# added by the reload check
[service:extra]
command = sleep infinity
EOF

cat >"$STAGE/app" <<EOF
#!/bin/sh
# Becomes ready $READY_DELAY s after it starts; records what it was given.
d=/var/lib/corral-e2e
mkdir -p \$d
rm -f \$d/app.ready
env >\$d/app.env
sleep $READY_DELAY
date +%s.%N >\$d/app.ready
exec sleep infinity
EOF

cat >"$STAGE/hook" <<EOF
#!/bin/sh
# The cleanup hook: $HOOK_SECONDS s at shutdown, longer than TimeoutStopSec.
d=/var/lib/corral-e2e
echo "\$(date +%s.%N) start \$CORRAL_REASON" >>\$d/hook.log
[ "\$CORRAL_REASON" = shutdown ] && sleep $HOOK_SECONDS
echo "\$(date +%s.%N) done \$CORRAL_REASON" >>\$d/hook.log
touch \$d/hook.done
EOF

# --- boot -----------------------------------------------------------------
NSPAWN=
LEADER=
teardown() {
	local i
	if [ -n "$NSPAWN" ] && kill -0 "$NSPAWN" 2>/dev/null; then
		# nspawn asks a booted container to halt on its first SIGTERM.
		kill -TERM "$NSPAWN" 2>/dev/null
		for i in $(seq 150); do
			kill -0 "$NSPAWN" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$NSPAWN" 2>/dev/null; then
			say "container did not halt in 15s; killing it"
			[ -n "$LEADER" ] && kill -KILL "$LEADER" 2>/dev/null
			kill -KILL "$NSPAWN" 2>/dev/null
		fi
		wait "$NSPAWN" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP PIPE

t_boot=$(now)
systemd-nspawn -q -b -D "$ROOTFS" --register=no --keep-unit \
    --volatile=overlay --machine=corral-e2e --bind-ro="$STAGE:/e2e" \
    --console=pipe </dev/null >"$WORK/console.log" 2>&1 9>&- &
NSPAWN=$!

G() { nsenter -t "$LEADER" -a "$@"; }
prop() { G systemctl show -P "$1" corral.service; }

state=
for i in $(seq 600); do
	kill -0 "$NSPAWN" 2>/dev/null || break
	if [ -z "$LEADER" ]; then
		# The leader is nspawn's child that is PID 1 of its namespace
		# (nspawn forks an intermediate process first).
		for p in $(cat "/proc/$NSPAWN/task/$NSPAWN/children" 2>/dev/null); do
			[ "$(awk '/^NSpid:/ { print $NF }' "/proc/$p/status" 2>/dev/null)" = 1 ] &&
			    [ "$(awk '/^NSpid:/ { print NF }' "/proc/$p/status")" -gt 2 ] &&
			    LEADER=$p
		done
	fi
	if [ -n "$LEADER" ]; then
		state=$(G systemctl is-system-running 2>/dev/null)
		case $state in running|degraded) break ;; esac
	fi
	sleep 0.1
done
case $state in
running|degraded) ;;
*)
	cat "$WORK/console.log" >&2
	skip "systemd-nspawn -b did not boot the guest (state '${state:-none}'): see the lines above"
	;;
esac
BOOT_SECS=$(elapsed "$t_boot")
say "guest booted in ${BOOT_SECS}s ($state; $(G systemctl --version | head -n 1); leader pid $LEADER)"
[ "$state" = degraded ] && G systemctl --failed --no-legend --no-pager | sed "s/^/$E2E_NAME: failed unit: /"

# Install as `make install` and the comment in conf/corral.service say.
G sh -ec '
	install -m 0755 /e2e/corral /usr/local/sbin/corral
	install -m 0755 /e2e/corralctl /usr/local/bin/corralctl
	install -D -m 0755 /e2e/app /usr/local/lib/corral-e2e/app
	install -D -m 0755 /e2e/hook /usr/local/lib/corral-e2e/hook
	install -m 0644 /e2e/corral.conf /etc/corral.conf
	install -m 0644 /e2e/corral.service /etc/systemd/system/corral.service
	install -D -m 0644 /e2e/e2e.conf /etc/systemd/system/corral.service.d/e2e.conf
	systemctl daemon-reload
	systemd-analyze log-level debug
' || { result fail install 0 "installing into the guest failed"; summary; exit 1; }

# jsince CURSOR-FILE: corral.service's journal since the cursor saved there.
jmark() { G journalctl --no-pager -n 0 --show-cursor -q | sed -n 's/^-- cursor: //p' >"$WORK/$1"; }
jsince() { G journalctl --no-pager -q -o short-monotonic -u corral.service --after-cursor="$(cat "$WORK/$1")"; }
journal_settle() { G journalctl --sync 2>/dev/null || sleep 0.3; }

# --- 1. start waits for READY=1 ---------------------------------------------
jmark c.start
t0=$(now)
G systemctl start corral.service &
starter=$!
seen_activating=no
not_ready_while_activating=no
while kill -0 "$starter" 2>/dev/null; do
	s=$(prop ActiveState)
	if [ "$s" = activating ]; then
		seen_activating=yes
		G test -e /var/lib/corral-e2e/app.ready || not_ready_while_activating=yes
	fi
	sleep 0.1
done
wait "$starter"
start_rc=$?
START_SECS=$(elapsed "$t0")
active=$(prop ActiveState)
# When systemd made the unit active (wall clock, as the app's `date`).
t_active=$(date -d "$(G systemctl show --timestamp=us+utc -P ActiveEnterTimestamp corral.service |
    cut -d ' ' -f 2-)" +%s.%N)
ready_at=$(G cat /var/lib/corral-e2e/app.ready 2>/dev/null)
check_out=$(G corralctl check 2>&1)
check_rc=$?
mono_start=$(prop ExecMainStartTimestampMonotonic)
mono_active=$(prop ActiveEnterTimestampMonotonic)
gap=$(awk -v a="$mono_start" -v b="$mono_active" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
journal_settle
jsince c.start >"$WORK/j.start"
MAINPID=$(prop MainPID)
ready_msg=$(grep -c "Got notification message from PID $MAINPID (READY=1" "$WORK/j.start")
detail="systemctl start took ${START_SECS}s (service ready after ${READY_DELAY}s); ExecMainStart->active ${gap}s; app ready->active $(elapsed "$ready_at" "$t_active")s; activating seen: $seen_activating; READY=1 datagrams: $ready_msg; status: $(prop StatusText)"
if [ "$start_rc" = 0 ] && [ "$active" = active ] && [ "$check_rc" = 0 ] &&
    [ -n "$ready_at" ] && ge "$t_active" "$ready_at" && ge "$gap" "$READY_DELAY" &&
    [ "$seen_activating" = yes ] && [ "$not_ready_while_activating" = yes ] &&
    [ "$ready_msg" -ge 1 ]; then
	result pass "start waits for READY=1" "$START_SECS" "$detail"
else
	result fail "start waits for READY=1" "$START_SECS" "$detail; rc $start_rc, state $active, corralctl check $check_rc ($check_out), ready_at '$ready_at'"
	sed 's/^/    /' "$WORK/j.start"
fi

# --- 2. systemd's variables stay with corral ----------------------------------
t0=$(now)
leaked=$(G grep -E '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' /var/lib/corral-e2e/app.env)
if G test -s /var/lib/corral-e2e/app.env && [ -z "$leaked" ]; then
	result pass "services get no NOTIFY_SOCKET" "$(elapsed "$t0")" "app's environment has no NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID"
else
	result fail "services get no NOTIFY_SOCKET" "$(elapsed "$t0")" "app saw: ${leaked:-no environment recorded}"
fi

# --- 3. the watchdog holds ----------------------------------------------------
jmark c.wd
t0=$(now)
sleep "$WATCHDOG_HOLD"
WD_SECS=$(elapsed "$t0")
journal_settle
jsince c.wd >"$WORK/j.wd"
wd_usec=$(prop WatchdogUSec)
pets=$(grep -c "Got notification message from PID $MAINPID (WATCHDOG=1)" "$WORK/j.wd")
wd_timeout=$(grep -ci 'watchdog timeout' "$WORK/j.wd")
detail="WatchdogSec=$wd_usec, active after ${WD_SECS}s, MainPID $(prop MainPID) (was $MAINPID), NRestarts=$(prop NRestarts), $pets WATCHDOG=1 received"
if [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$MAINPID" ] &&
    [ "$(prop NRestarts)" = 0 ] && [ "$wd_timeout" = 0 ] &&
    [ "$pets" -ge $((WATCHDOG_HOLD / WATCHDOG * 2 - 2)) ]; then
	result pass "watchdog holds" "$WD_SECS" "$detail"
else
	result fail "watchdog holds" "$WD_SECS" "$detail; watchdog timeouts logged: $wd_timeout"
	sed 's/^/    /' "$WORK/j.wd"
fi

# --- 4. reload: RELOADING=1, READY=1, back to active ---------------------------
app_pid=$(G corralctl status app | awk 'NR == 2 { print $3 }')
G sh -c 'cat /e2e/extra.conf >>/etc/corral.conf'
jmark c.reload
t0=$(now)
G systemctl reload corral.service
reload_rc=$?
RELOAD_SECS=$(elapsed "$t0")
after=$(prop ActiveState)
# If systemctl returned before corral read the file (see below), corral may
# still be applying it: wait for the new service before reading the journal.
for i in $(seq 20); do
	extra_state=$(G corralctl status extra 2>&1 | awk 'NR == 2 { print $2 }')
	[ "$extra_state" = running ] && [ "$(prop ActiveState)" = active ] && break
	sleep 0.1
done
journal_settle
jsince c.reload >"$WORK/j.reload"
# systemd's own account, in order: it enters "reload" when ExecReload
# (kill -HUP) runs, gets RELOADING=1 from corral, and goes back to "running"
# on corral's READY=1.  systemd 252 stays in "reload" after kill(1) exits if
# RELOADING=1 came first; if kill's exit is seen first, the reload job ends
# at once and RELOADING=1 then puts the unit into "reload" a second time.
order=$(awk -v p="$MAINPID" '
	function see(tag) { out = out (out == "" ? "" : " ") tag }
	/Changed running -> reload$/ { see("running->reload") }
	index($0, "Got notification message from PID " p " (RELOADING=1") { see("RELOADING=1") }
	/Control process exited/ { see("ExecReload-done") }
	index($0, "Got notification message from PID " p " (READY=1") { see("READY=1") }
	/Changed reload -> running$/ { see("reload->running") }
	END { print out }' "$WORK/j.reload")
case " $order " in
" running->reload "*"RELOADING=1 "*"READY=1 "*"reload->running ") order_ok=yes ;;
*) order_ok=no ;;
esac
case " $order " in
*" reload->running "*"RELOADING=1 "*)
	race="; NOTE: kill -HUP's exit reached systemd before RELOADING=1, so systemctl reload returned before corral had read the file" ;;
*) race= ;;
esac
app_pid2=$(G corralctl status app | awk 'NR == 2 { print $3 }')
detail="systemctl reload ${RELOAD_SECS}s; systemd journal: $order; then $after; extra $extra_state; app pid $app_pid2 (was $app_pid); MainPID $(prop MainPID)$race"
if [ "$reload_rc" = 0 ] && [ "$after" != failed ] && [ "$(prop ActiveState)" = active ] &&
    [ "$extra_state" = running ] && [ "$app_pid" = "$app_pid2" ] &&
    [ "$(prop MainPID)" = "$MAINPID" ] && [ "$order_ok" = yes ]; then
	result pass "reload: reloading -> active" "$RELOAD_SECS" "$detail"
else
	result fail "reload: reloading -> active" "$RELOAD_SECS" "$detail; rc $reload_rc"
	sed 's/^/    /' "$WORK/j.reload"
fi
[ -n "${E2E_VERBOSE:-}" ] && sed 's/^/    /' "$WORK/j.reload"

# --- 4b. reload of a broken file changes nothing ------------------------------
G cp /etc/corral.conf /etc/corral.conf.good
G sh -c 'printf "\n[service:broken]\ncommand = sleep infinity\nrestart = sometimes\n" >>/etc/corral.conf'
jmark c.bad
t0=$(now)
G systemctl reload corral.service >/dev/null 2>&1
bad_rc=$?
BAD_SECS=$(elapsed "$t0")
sleep 0.3
journal_settle
jsince c.bad >"$WORK/j.bad"
err=$(grep -o '/etc/corral.conf:[0-9]*: .*' "$WORK/j.bad" | head -n 1)
app_pid3=$(G corralctl status app | awk 'NR == 2 { print $3 }')
broken=$(G corralctl status broken 2>/dev/null | awk 'NR == 2 { print $2 }')
detail="systemctl reload exit $bad_rc in ${BAD_SECS}s; corral logged '$err'; unit $(prop ActiveState), MainPID $(prop MainPID), app pid $app_pid3 (was $app_pid), service 'broken' ${broken:-absent}"
if [ "$(prop ActiveState)" = active ] && [ "$(prop MainPID)" = "$MAINPID" ] &&
    [ "$app_pid3" = "$app_pid" ] && [ -z "$broken" ] && [ -n "$err" ]; then
	result pass "reload of a broken file" "$BAD_SECS" "$detail"
else
	result fail "reload of a broken file" "$BAD_SECS" "$detail"
	sed 's/^/    /' "$WORK/j.bad"
fi
G mv /etc/corral.conf.good /etc/corral.conf

# --- 5. stop: the hook outlives TimeoutStopSec -------------------------------
G rm -f /var/lib/corral-e2e/hook.done
jmark c.stop
t0=$(now)
G systemctl stop corral.service
stop_rc=$?
STOP_SECS=$(elapsed "$t0")
journal_settle
jsince c.stop >"$WORK/j.stop"
stop_state=$(prop ActiveState)
stop_result=$(prop Result)
# The unit may be garbage-collected once dead (its ExecMain* reset): read how
# the main process ended from systemd's own journal line.
main_exit=$(grep -o 'Main process exited, code=[a-z]*, status=[^ ]*' "$WORK/j.stop" | tail -n 1)
hook_log=$(G cat /var/lib/corral-e2e/hook.log 2>/dev/null | grep shutdown | tr '\n' ' ')
ext=$(grep -o "EXTEND_TIMEOUT_USEC=[0-9]*" "$WORK/j.stop" | head -n 1)
killed=$(grep -Eci "SIGKILL|timed out|Killing process" "$WORK/j.stop")
corral_exit=$(grep -o 'corral: exiting with status [0-9]*' "$WORK/j.stop" | tail -n 1)
detail="systemctl stop ${STOP_SECS}s with TimeoutStopSec=${STOP_TIMEOUT}s and a ${HOOK_SECONDS}s hook; $ext; hook.done $(G test -e /var/lib/corral-e2e/hook.done && echo present || echo missing); Result=$stop_result; '$main_exit'; '$corral_exit'; SIGKILL/timeout lines: $killed"
if [ "$stop_rc" = 0 ] && [ "$stop_state" = inactive ] && [ "$stop_result" = success ] &&
    G test -e /var/lib/corral-e2e/hook.done && ge "$STOP_SECS" "$HOOK_SECONDS" &&
    [ -n "$ext" ] && [ "$killed" = 0 ] &&
    [ "$main_exit" = "Main process exited, code=exited, status=0/SUCCESS" ] &&
    grep -q 'Deactivated successfully' "$WORK/j.stop"; then
	result pass "stop: hook outlives TimeoutStopSec" "$STOP_SECS" "$detail"
else
	result fail "stop: hook outlives TimeoutStopSec" "$STOP_SECS" "$detail; rc $stop_rc, state $stop_state; hook log: $hook_log"
	sed 's/^/    /' "$WORK/j.stop"
fi

if [ -n "${E2E_VERBOSE:-}" ]; then
	G journalctl --no-pager -q -u corral.service -o short-monotonic
fi
say "guest boot ${BOOT_SECS}s"
summary
