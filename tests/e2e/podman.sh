#!/bin/bash
# End-to-end: conf/Dockerfile under a real container runtime (podman).
#
# No registry is reachable here, so FROM debian:bookworm-slim is replaced
# (podman build --from) by a local image imported from a minbase root made
# with mmdebstrap (cached in /var/tmp/corral-e2e/).  conf/Dockerfile itself
# is built unchanged when its RUN apt-get can reach the Debian mirror
# (--network host); otherwise an equivalent Containerfile installs the same
# two packages from .debs downloaded on the host.  Then:
#   - `podman stop`: exit status 0, cleanup hooks in `podman logs`, time
#     well under podman's timeout;
#   - exit status passthrough (the image's ENTRYPOINT with a failing CMD,
#     and `corral -- sh -c 'exit 7'`, and a death by SIGSEGV);
#   - no zombies after an orphan burst;
#   - `podman kill --signal USR1` reaches a service;
#   - `podman run -it ... corral -- sh`: Ctrl+C reaches the shell's command;
#   - HEALTHCHECK `corralctl check` through `podman healthcheck run`.
# Needs root; skips (exit 0) with the reason when it cannot run here.
set -u
E2E_NAME=podman
. "$(dirname "$0")/lib.sh"

IMAGE=localhost/corral-e2e:latest
BURST=1000		# orphans made by the orphan check

[ "$(id -u)" = 0 ] || skip "needs root (rootful podman)"
need_binaries
cache_lock
need_tools podman:podman mmdebstrap:mmdebstrap
# crun 1.8 refuses this VM's hybrid cgroup layout; runc does not.
RUNTIME=${PODMAN_RUNTIME:-runc}
[ "$RUNTIME" = runc ] && need_tools runc:runc
P() { podman --runtime "$RUNTIME" "$@"; }

# Root may not raise its limits here (no CAP_SYS_RESOURCE), and podman's
# defaults (nofile 1048576) are above them: ask for what we have.
cap() { local h=$1; [ "$h" = unlimited ] || [ "$h" -gt "$2" ] && h=$2; printf '%s' "$h"; }
NOFILE=$(cap "$(ulimit -Hn)" 20000)
NPROC=$(cap "$(ulimit -Hu)" 32768)
RUNOPTS=(--network none --ulimit "nofile=$NOFILE:$NOFILE"
    --ulimit "nproc=$NPROC:$NPROC" --health-interval disable)

SUITE=$(host_codename)
MIRROR=$(host_mirror "$SUITE")
BASE_TAR=$E2E_CACHE/podman-base.tar
BASE=localhost/corral-e2e-base:$SUITE
STAMP="$SUITE minbase $MIRROR"

WORK=$(mktemp -d "$E2E_CACHE/run.XXXXXX")
CONTAINERS=()
teardown() {
	local c
	for c in "${CONTAINERS[@]}"; do
		P rm -f -t 0 "$c" >/dev/null 2>&1
	done
	rm -rf "$WORK"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP PIPE

# --- the base image ----------------------------------------------------------
if [ ! -s "$BASE_TAR" ] || [ "$(cat "$BASE_TAR.stamp" 2>/dev/null)" != "$STAMP" ]; then
	say "building $BASE_TAR ($SUITE minbase from $MIRROR; under a minute)"
	rm -f "$BASE_TAR" "$BASE_TAR.stamp"
	t=$(now)
	if ! mmdebstrap --variant=minbase --format=tar "$SUITE" "$BASE_TAR.tmp" \
	    "$MIRROR" </dev/null >"$E2E_CACHE/podman-base.log" 2>&1; then
		rm -f "$BASE_TAR.tmp"
		skip "mmdebstrap $SUITE $MIRROR failed: $(tail -n 1 "$E2E_CACHE/podman-base.log")"
	fi
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	printf '%s\n' "$STAMP" >"$BASE_TAR.stamp"
	P rmi -f "$BASE" >/dev/null 2>&1
	say "base root built in $(elapsed "$t")s"
fi
if ! P image exists "$BASE"; then
	P import --change 'CMD ["/bin/bash"]' "$BASE_TAR" "$BASE" >"$WORK/import.log" 2>&1 ||
	    skip "podman import $BASE_TAR failed: $(tail -n 1 "$WORK/import.log")"
fi

# --- the image: conf/Dockerfile --------------------------------------------------
# --format docker: the OCI format has no HEALTHCHECK.
t=$(now)
OLD_ID=$(P image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)
BUILD_FROM="conf/Dockerfile (FROM replaced by $BASE)"
if ! P build --format docker --pull=never --from "$BASE" --network host \
    -f "$E2E_ROOT/conf/Dockerfile" -t "$IMAGE" "$E2E_ROOT" >"$WORK/build.log" 2>&1 ||
    [ -n "${E2E_PODMAN_OFFLINE:-}" ]; then
	# RUN apt-get could not reach the mirror from the build container:
	# the same Dockerfile with that RUN replaced by the same packages,
	# fetched here.
	if [ -n "${E2E_PODMAN_OFFLINE:-}" ]; then
		say "E2E_PODMAN_OFFLINE set: using an equivalent Containerfile"
	else
		say "podman build -f conf/Dockerfile failed ($(grep -m 1 -iE 'error|fail' "$WORK/build.log")); using an equivalent Containerfile"
	fi
	ctx=$WORK/context
	mkdir -p "$ctx/debs" "$ctx/build" "$ctx/conf"
	pkgs=$(sed -n 's/.*apt-get install -y --no-install-recommends \([^\\&]*\).*/\1/p' \
	    "$E2E_ROOT/conf/Dockerfile" | xargs)
	(cd "$ctx/debs" && apt-get download $pkgs) >"$WORK/download.log" 2>&1 ||
	    skip "conf/Dockerfile does not build here and apt-get download $pkgs failed"
	cp "$E2E_ROOT/build/corral" "$E2E_ROOT/build/corralctl" "$ctx/build/"
	cp "$E2E_ROOT/conf/corral.conf" "$ctx/conf/"
	awk '
		/^RUN apt-get/ { skipping = 1 }
		skipping { if ($0 !~ /\\$/) { skipping = 0
			print "COPY debs/ /tmp/debs/"
			print "RUN dpkg -i /tmp/debs/*.deb && rm -rf /tmp/debs" }
			next }
		{ print }' "$E2E_ROOT/conf/Dockerfile" >"$ctx/Containerfile"
	BUILD_FROM="a Containerfile made from conf/Dockerfile (RUN apt-get replaced by dpkg -i of $pkgs)"
	P build --format docker --pull=never --from "$BASE" --network none \
	    -f "$ctx/Containerfile" -t "$IMAGE" "$ctx" >"$WORK/build.log" 2>&1 || {
		cat "$WORK/build.log"
		result fail "image build" "$(elapsed "$t")" "$BUILD_FROM"
		summary
		exit 1
	}
fi
# The previous build, now untagged, goes (its layers still cache this one).
NEW_ID=$(P image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null)
[ -n "$OLD_ID" ] && [ "$OLD_ID" != "$NEW_ID" ] && P rmi "$OLD_ID" >/dev/null 2>&1
say "image $IMAGE built in $(elapsed "$t")s from $BUILD_FROM ($(P version --format '{{.Client.Version}}') with $RUNTIME)"

# run NAME [podman run options...] IMAGE [command...]: a detached container
# that the teardown removes.
run_bg() {
	local name=$1
	shift
	P rm -f -t 0 "$name" >/dev/null 2>&1
	CONTAINERS+=("$name")
	P run -d --name "$name" "${RUNOPTS[@]}" "$@" >/dev/null 2>"$WORK/$name.run" ||
	    { cat "$WORK/$name.run" >&2; return 1; }
}

# wait_for SECONDS COMMAND...: poll every 0.1 s.
wait_for() {
	local end
	end=$(awk -v n="$EPOCHREALTIME" -v s="$1" 'BEGIN { printf "%.3f", n + s }')
	shift
	until "$@" >/dev/null 2>&1; do
		ge "$EPOCHREALTIME" "$end" && return 1
		sleep 0.1
	done
}

healthy() { P exec "$1" corralctl check; }

# --- 1. health check, then podman stop ----------------------------------------
C=corral-e2e-main
t0=$(now)
if run_bg "$C" "$IMAGE" && wait_for 20 healthy "$C"; then
	UP_SECS=$(elapsed "$t0")
	say "conf/corral.conf up in ${UP_SECS}s (corralctl check ok)"
	hc1=$(P healthcheck run "$C" 2>&1)
	hc1_rc=$?
	P exec "$C" corralctl stop web >/dev/null 2>&1
	hc2=$(P healthcheck run "$C" 2>&1)
	hc2_rc=$?
	hc2_state=$(P inspect -f '{{.State.Health.Status}}' "$C" 2>/dev/null)
	P exec "$C" corralctl start web >/dev/null 2>&1
	wait_for 10 healthy "$C"
	hc3=$(P healthcheck run "$C" 2>&1)
	hc3_rc=$?
	hc3_state=$(P inspect -f '{{.State.Health.Status}}' "$C" 2>/dev/null)
	detail="all up: podman healthcheck run exit $hc1_rc${hc1:+ ($hc1)}; after corralctl stop web: exit $hc2_rc${hc2:+ ($hc2)}, Health.Status $hc2_state; after corralctl start web: exit $hc3_rc${hc3:+ ($hc3)}, Health.Status $hc3_state"
	if [ "$hc1_rc" = 0 ] && [ "$hc2_rc" != 0 ] && [ "$hc2_state" = unhealthy ] &&
	    [ "$hc3_rc" = 0 ] && [ "$hc3_state" = healthy ]; then
		result pass "healthcheck: corralctl check" "$(elapsed "$t0")" "$detail"
	else
		result fail "healthcheck: corralctl check" "$(elapsed "$t0")" "$detail"
	fi

	timeout=$(P inspect -f '{{.Config.StopTimeout}}' "$C")
	t0=$(now)
	P stop "$C" >"$WORK/stop.out" 2>"$WORK/stop.err"
	stop_rc=$?
	STOP_SECS=$(elapsed "$t0")
	code=$(P inspect -f '{{.State.ExitCode}}' "$C")
	P logs "$C" >"$WORK/main.log" 2>&1
	hooks=0
	grep -q '^web/cleanup | web cleanup: deregistered' "$WORK/main.log" && hooks=$((hooks + 1))
	grep -q '^db cleanup: shutdown' "$WORK/main.log" && hooks=$((hooks + 1))
	forced=$(grep -ci 'SIGKILL' "$WORK/stop.err")
	detail="podman stop ${STOP_SECS}s (timeout ${timeout}s); exit code $code; $hooks/2 cleanup hooks in podman logs; '$(grep -o 'corral: exiting with status [0-9]*' "$WORK/main.log")'; SIGKILL from podman: $forced"
	if [ "$stop_rc" = 0 ] && [ "$code" = 0 ] && [ "$hooks" = 2 ] && [ "$forced" = 0 ] &&
	    grep -q 'corral: exiting with status 0' "$WORK/main.log" &&
	    ! ge "$STOP_SECS" "$((timeout / 2))"; then
		result pass "podman stop" "$STOP_SECS" "$detail"
	else
		result fail "podman stop" "$STOP_SECS" "$detail; stderr: $(cat "$WORK/stop.err")"
		sed 's/^/    /' "$WORK/main.log"
	fi
else
	result fail "healthcheck: corralctl check" "$(elapsed "$t0")" "container did not become healthy in 20s"
	result fail "podman stop" 0 "not run"
	P logs "$C" 2>&1 | sed 's/^/    /'
fi

# --- 2. exit status passthrough ----------------------------------------------------
# run_fg NAME [options...] IMAGE [command...]: podman run --rm, exit status.
run_fg() {
	local name=$1
	shift
	P rm -f -t 0 "$name" >/dev/null 2>&1
	CONTAINERS+=("$name")
	P run --rm --name "$name" "${RUNOPTS[@]}" "$@" >"$WORK/$name.out" 2>&1
}
exit_case() {
	local label=$1 cmdline=$2 want=$3 name=$4 got secs
	shift 4
	t0=$(now)
	run_fg "corral-e2e-exit-$name" "$@"
	got=$?
	secs=$(elapsed "$t0")
	if [ "$got" = "$want" ]; then
		result pass "$label" "$secs" "$cmdline: podman run exited $got"
	else
		result fail "$label" "$secs" "$cmdline: podman run exited $got, want $want"
		sed 's/^/    /' "$WORK/corral-e2e-exit-$name.out"
	fi
}
exit_case "exit status: ENTRYPOINT + CMD" "podman run IMAGE sh -c 'exit 7'" 7 \
    entrypoint "$IMAGE" sh -c 'exit 7'
exit_case "exit status: corral -- CMD" "podman run --entrypoint corral IMAGE -- sh -c 'exit 7'" 7 \
    single --entrypoint corral "$IMAGE" -- sh -c 'exit 7'
exit_case "exit status: killed by SEGV" "corral -- sh -c 'kill -SEGV \$\$'" 139 \
    segv --entrypoint corral "$IMAGE" -- sh -c 'kill -SEGV $$'

# --- 3. no zombies after an orphan burst ----------------------------------------------
# Each `sh -c` of main leaves two orphans to corral (PID 1): one that has
# already exited (a zombie from the start) and one that exits a second later.
# The container's /proc is sampled (podman exec) during the burst and after.
C=corral-e2e-orphans
# census: zombies, processes in all, and whether the burst is over.
census() {
	P exec "$C" sh -c 'test -e /tmp/burst.done && d=1 || d=0
	    cat /proc/[0-9]*/status 2>/dev/null |
	    awk -v d=$d "/^State:/ { n++; if (\$2 == \"Z\") z++ } END { print z + 0, n + 0, d }"'
}
t0=$(now)
if run_bg "$C" "$IMAGE" sh -c "i=0; while [ \$i -lt $BURST ]; do sh -c 'true & sleep 1 & exit 0'; i=\$((i + 1)); done; touch /tmp/burst.done; exec sleep infinity"; then
	peak_z=0 peak_n=0 samples=0 z=- n=- t1=
	while ! ge "$(elapsed "$t0")" 60; do
		read -r z n d <<<"$(census)"
		[ -n "$d" ] || { sleep 0.1; continue; }
		samples=$((samples + 1))
		[ "$z" -gt "$peak_z" ] && peak_z=$z
		[ "$n" -gt "$peak_n" ] && peak_n=$n
		if [ "$d" = 1 ] && [ -z "$t1" ]; then
			t1=$(now)
			BURST_SECS=$(elapsed "$t0")
		fi
		# settled: the burst is over, its 1 s sleeps have ended, no zombie
		[ -n "$t1" ] && [ "$z" = 0 ] && ge "$(elapsed "$t1")" 1.5 && break
		sleep 0.1
	done
	SETTLE_SECS=$(elapsed "${t1:-$t0}")
	P stop "$C" >/dev/null 2>&1
	# main's own orphans stay in its process group: its leftovers (SPEC §12).
	left=$(P logs "$C" 2>&1 | sed -n 's/.*report: main: \([0-9]*\) leftover process.*/\1/p')
	adopted=$(P logs "$C" 2>&1 | sed -n 's/.*report: \([0-9]*\) adopted process.*/\1/p')
	reaped=$((${left:-0} + ${adopted:-0}))
	detail="$((BURST * 2)) orphans made in ${BURST_SECS:-?}s; ${SETTLE_SECS}s later: $z zombies, $n processes; peaks over $samples samples: $peak_z zombies, $peak_n processes; corral's report: ${left:-0} leftover processes of main and ${adopted:-0} adopted processes reaped"
	if [ -n "$t1" ] && [ "$z" = 0 ] && [ "$n" -le 12 ] && [ "${reaped:-0}" -ge $((BURST * 2)) ]; then
		result pass "no zombies after orphan burst" "$(elapsed "$t0")" "$detail"
	else
		result fail "no zombies after orphan burst" "$(elapsed "$t0")" "$detail"
		P logs "$C" 2>&1 | tail -n 20 | sed 's/^/    /'
	fi
else
	result fail "no zombies after orphan burst" "$(elapsed "$t0")" "the container did not start"
fi

# --- 4. podman kill --signal USR1 reaches a service ------------------------------------
C=corral-e2e-usr1
t0=$(now)
if run_bg "$C" "$IMAGE" sh -c 'trap "echo main got USR1; touch /tmp/usr1" USR1; while :; do sleep 0.1; done' &&
    wait_for 20 healthy "$C"; then
	t1=$(now)
	P kill --signal USR1 "$C" >/dev/null
	if wait_for 5 P exec "$C" test -e /tmp/usr1; then
		got=yes
	else
		got=no
	fi
	USR1_SECS=$(elapsed "$t1")
	sleep 0.3
	P logs "$C" >"$WORK/usr1.log" 2>&1
	web=$(grep -c 'web: killed by USR1' "$WORK/usr1.log")
	detail="main's trap ran: $got ('$(grep -m 1 'main got USR1' "$WORK/usr1.log")'), seen ${USR1_SECS}s after podman kill (polled with podman exec); web's group got it too: $web (corral logged 'web: killed by USR1')"
	if [ "$got" = yes ] && grep -q 'main got USR1' "$WORK/usr1.log"; then
		result pass "podman kill --signal USR1" "$USR1_SECS" "$detail"
	else
		result fail "podman kill --signal USR1" "$USR1_SECS" "$detail"
		sed 's/^/    /' "$WORK/usr1.log"
	fi
	P stop "$C" >/dev/null 2>&1
else
	result fail "podman kill --signal USR1" "$(elapsed "$t0")" "container did not become healthy in 20s"
fi

# --- 5. podman run -it ... corral -- sh, and Ctrl+C ------------------------------------
C=corral-e2e-tty
P rm -f -t 0 "$C" >/dev/null 2>&1
CONTAINERS+=("$C")
t0=$(now)
if command -v python3 >/dev/null 2>&1; then
	tty_out=$(python3 "$(dirname "$0")/pty-ctrl-c.py" podman --runtime "$RUNTIME" \
	    run --rm -it --name "$C" "${RUNOPTS[@]}" --entrypoint corral "$IMAGE" -- sh 2>&1)
	tty_rc=$?
	if [ "$tty_rc" = 0 ]; then
		result pass "podman run -it: Ctrl+C" "$(elapsed "$t0")" "$tty_out"
	else
		result fail "podman run -it: Ctrl+C" "$(elapsed "$t0")" "$tty_out"
	fi
else
	result fail "podman run -it: Ctrl+C" 0 "python3 is missing (it drives the pty)"
fi

# --- 6. conf/Dockerfile.scratch: the static pair FROM scratch ----------------------
# The build stage's FROM is replaced by the local base; when its RUN
# apt-get cannot reach the mirror, an equivalent Containerfile copies the
# static pair built here (make static) instead of building it inside.
SCRATCH=localhost/corral-e2e-scratch:latest
t0=$(now)
sctx=$WORK/scratch
mkdir -p "$sctx/build" "$sctx/t"
if ! make -C "$E2E_ROOT" static >"$WORK/static.log" 2>&1; then
	result fail "scratch: image build" "$(elapsed "$t0")" "make static failed: $(tail -n 1 "$WORK/static.log")"
else
SCRATCH_FROM="conf/Dockerfile.scratch (build stage FROM $BASE)"
if ! P build --format docker --pull=never --from "$BASE" --network host \
    -f "$E2E_ROOT/conf/Dockerfile.scratch" -t "$SCRATCH" "$E2E_ROOT" \
    >"$WORK/scratch-build.log" 2>&1 || [ -n "${E2E_PODMAN_OFFLINE:-}" ]; then
	cp "$E2E_ROOT/build/corral-static" "$E2E_ROOT/build/corralctl-static" "$sctx/build/"
	awk '
		/^RUN apt-get/ { skipping = 1 }
		skipping { if ($0 !~ /\\$/) skipping = 0; next }
		/^COPY Makefile/ { next }
		/^COPY src/ { print "COPY build/ /src/build/"; next }
		/^RUN make -C \/src static/ { print "RUN true \\"; next }
		{ print }' "$E2E_ROOT/conf/Dockerfile.scratch" >"$sctx/Containerfile"
	SCRATCH_FROM="a Containerfile made from conf/Dockerfile.scratch (the static pair built on the host, not in the build stage)"
	P build --format docker --pull=never --from "$BASE" --network none \
	    -f "$sctx/Containerfile" -t "$SCRATCH" "$sctx" >"$WORK/scratch-build.log" 2>&1
fi
if ! P image exists "$SCRATCH"; then
	cat "$WORK/scratch-build.log"
	result fail "scratch: image build" "$(elapsed "$t0")" "$SCRATCH_FROM"
else
	files=$(P image inspect -f '{{len .RootFS.Layers}}' "$SCRATCH")
	size=$(P image inspect -f '{{.Size}}' "$SCRATCH")
	result pass "scratch: image build" "$(elapsed "$t0")" "from $SCRATCH_FROM; $files layer(s), $size bytes"

	# As shipped: the CMD checks the config.
	t0=$(now)
	run_fg corral-e2e-scratch-shipped "$SCRATCH"
	got=$?
	if [ "$got" = 0 ] && grep -q '/etc/corral.conf: ok' "$WORK/corral-e2e-scratch-shipped.out"; then
		result pass "scratch: as shipped" "$(elapsed "$t0")" "podman run exited 0: '$(grep -m 1 '/etc/corral.conf: ok' "$WORK/corral-e2e-scratch-shipped.out")'"
	else
		result fail "scratch: as shipped" "$(elapsed "$t0")" "exit $got"
		sed 's/^/    /' "$WORK/corral-e2e-scratch-shipped.out"
	fi

	# An image on it: static test programs, a service with a hook.
	for prog in catch stamp orphans; do
		cc -static -O2 -o "$sctx/t/$prog" "$E2E_ROOT/tests/integration/svc/$prog.c" 2>>"$WORK/static.log"
	done
	printf 'int main(void) { return 7; }\n' | cc -static -x c -o "$sctx/t/exit7" - 2>>"$WORK/static.log"
	mkdir -p "$sctx/d"
	printf '%s\n' '[service:web]' 'command = /t/catch /run/web TERM=exit:0' \
	    'cleanup = /t/stamp -e /run/hooks web' >"$sctx/d/web.conf"
	printf '%s\n' '[service:bad]' 'command = /t/exit7' 'user = nosuch' >"$sctx/bad.conf"
	printf '%s\n' "FROM $SCRATCH" 'COPY t/ /t/' 'COPY d/ /etc/corral.d/' \
	    'COPY bad.conf /etc/bad.conf' 'CMD ["/t/catch", "/run/main", "TERM=exit:0"]' \
	    >"$sctx/Containerfile.app"
	APP=localhost/corral-e2e-scratch-app:latest
	P build --format docker --pull=never --network none -f "$sctx/Containerfile.app" \
	    -t "$APP" "$sctx" >"$WORK/scratch-app.log" 2>&1 ||
	    { cat "$WORK/scratch-app.log"; result fail "scratch: app image" 0 "build failed"; }

	exit_case "scratch: exit status" "podman run SCRATCH-APP /t/exit7" 7 scratch7 "$APP" /t/exit7

	t0=$(now)
	run_fg corral-e2e-scratch-user --entrypoint corral "$APP" -t -c /etc/bad.conf
	got=$?
	msg=$(grep -m 1 "no user 'nosuch'" "$WORK/corral-e2e-scratch-user.out")
	if [ "$got" = 1 ] && [[ "$msg" == *"in /etc/passwd"* ]]; then
		result pass "scratch: unknown user" "$(elapsed "$t0")" "corral -t exited 1: '$msg'"
	else
		result fail "scratch: unknown user" "$(elapsed "$t0")" "exit $got: $(cat "$WORK/corral-e2e-scratch-user.out")"
	fi

	C=corral-e2e-scratch-stop
	t0=$(now)
	if run_bg "$C" "$APP" && wait_for 20 healthy "$C"; then
		hc=$(P healthcheck run "$C" 2>&1)
		hc_rc=$?
		t1=$(now)
		P stop "$C" >"$WORK/sstop.out" 2>"$WORK/sstop.err"
		code=$(P inspect -f '{{.State.ExitCode}}' "$C")
		secs=$(elapsed "$t1")
		P logs "$C" >"$WORK/sstop.log" 2>&1
		detail="corralctl check (HEALTHCHECK) exit $hc_rc${hc:+ ($hc)}; podman stop ${secs}s, exit code $code; '$(grep -m 1 'web: cleanup hook done' "$WORK/sstop.log")'; '$(grep -o 'corral: exiting with status [0-9]*' "$WORK/sstop.log")'; SIGKILL from podman: $(grep -ci sigkill "$WORK/sstop.err")"
		if [ "$hc_rc" = 0 ] && [ "$code" = 0 ] && grep -q 'web: cleanup hook done' "$WORK/sstop.log" &&
		    grep -q 'corral: exiting with status 0' "$WORK/sstop.log" &&
		    ! grep -qi sigkill "$WORK/sstop.err" && ! ge "$secs" 5; then
			result pass "scratch: healthcheck, podman stop" "$(elapsed "$t0")" "$detail"
		else
			result fail "scratch: healthcheck, podman stop" "$(elapsed "$t0")" "$detail"
			sed 's/^/    /' "$WORK/sstop.log"
		fi
	else
		result fail "scratch: healthcheck, podman stop" "$(elapsed "$t0")" "did not become healthy in 20s"
		P logs "$C" 2>&1 | sed 's/^/    /'
	fi

	# 500 orphans, counted from the host through /proc: no shell in there.
	C=corral-e2e-scratch-orphans
	t0=$(now)
	if run_bg "$C" "$APP" /t/orphans 500 /run/orphans; then
		pid1=$(P inspect -f '{{.State.Pid}}' "$C")
		zombies() {
			local z=0 f
			for f in /proc/[0-9]*/status; do
				awk -v p="$pid1" '/^State:/ { s = $2 } /^PPid:/ { pp = $2 }
				    END { exit !(s == "Z" && pp == p) }' "$f" 2>/dev/null && z=$((z + 1))
			done
			printf '%s\n' "$z"
		}
		settled() {
			grep -q '^done' "/proc/$pid1/root/run/orphans" 2>/dev/null &&
			    [ "$(grep -c '^orphan' "/proc/$pid1/root/run/orphans")" -ge 500 ] &&
			    [ "$(zombies)" = 0 ]
		}
		if wait_for 60 settled; then
			made=$(grep -c '^orphan' "/proc/$pid1/root/run/orphans")
			result pass "scratch: no zombies after 500 orphans" "$(elapsed "$t0")" "$made orphans made and reaped; 0 zombies of PID 1 (host pid $pid1)"
		else
			result fail "scratch: no zombies after 500 orphans" "$(elapsed "$t0")" "$(grep -c '^orphan' "/proc/$pid1/root/run/orphans" 2>/dev/null) orphans, $(zombies) zombies"
		fi
		P stop "$C" >/dev/null 2>&1
	else
		result fail "scratch: no zombies after 500 orphans" "$(elapsed "$t0")" "the container did not start"
	fi
fi
fi

summary
