# Shared by tests/e2e/systemd.sh and tests/e2e/podman.sh (bash).
#
# Results: one line per check,
#   PASS  name  (1.23s)  detail
#   FAIL  name  (1.23s)  detail
# and a summary.  A run that cannot happen here prints "SKIP: reason" and
# exits 0.

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_CACHE=${E2E_CACHE:-/var/tmp/corral-e2e}
E2E_FAILS=0
E2E_PASSES=0

now() { printf '%s\n' "$EPOCHREALTIME"; }

# elapsed START [END]: seconds between two now() values, 2 decimals.
elapsed() {
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'
}

# ge A B: true when the decimal A >= B.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

say() { printf '%s: %s\n' "$E2E_NAME" "$*"; }

skip() {
	printf 'SKIP: %s: %s\n' "$E2E_NAME" "$*"
	exit 0
}

# result pass|fail NAME SECONDS DETAIL
result() {
	local verdict=$1 name=$2 secs=$3
	shift 3
	if [ "$verdict" = pass ]; then
		E2E_PASSES=$((E2E_PASSES + 1))
		printf 'PASS  %-34s (%6ss)  %s\n' "$name" "$secs" "$*"
	else
		E2E_FAILS=$((E2E_FAILS + 1))
		printf 'FAIL  %-34s (%6ss)  %s\n' "$name" "$secs" "$*"
	fi
}

summary() {
	printf '%s: %d passed, %d failed\n' "$E2E_NAME" "$E2E_PASSES" "$E2E_FAILS"
	[ "$E2E_FAILS" -eq 0 ]
}

# need_tools PACKAGE:COMMAND...: install the packages whose command is
# missing with apt-get when root; skip otherwise.
need_tools() {
	local missing="" cmds="" p c
	for pc in "$@"; do
		p=${pc%%:*}
		c=${pc#*:}
		if ! command -v "$c" >/dev/null 2>&1; then
			missing="$missing $p"
			cmds="$cmds $c"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		skip "missing$cmds; run: sudo apt-get install -y$missing"
	fi
	if ! command -v apt-get >/dev/null 2>&1; then
		skip "missing$cmds and no apt-get to install$missing"
	fi
	say "installing$missing"
	if ! { apt-get update -qq &&
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
	    >"$E2E_CACHE/apt.log" 2>&1; then
		skip "apt-get install$missing failed (see $E2E_CACHE/apt.log)"
	fi
	for pc in "$@"; do
		c=${pc#*:}
		command -v "$c" >/dev/null 2>&1 ||
		    skip "$c still missing after apt-get install"
	done
}

# The host's codename, and the Debian mirror its apt uses for it (deb822
# .sources or one-line .list), so mmdebstrap asks the same archive.
host_codename() {
	. /etc/os-release
	printf '%s\n' "${VERSION_CODENAME:-bookworm}"
}

host_mirror() {
	local suite=$1 f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$suite" '
			function flush() {
				if (!done && uris != "" && (" " suites " ") ~ (" " s " ") &&
				    types ~ /(^| )deb( |$)/) {
					split(uris, u, " "); print u[1]; done = 1; exit
				}
				uris = suites = types = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			END { flush() }' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk -v s="$suite" '
			$1 == "deb" {
				i = 2
				if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
				if ($(i + 1) == s) { print $i; exit }
			}' "$f")
		[ -n "$uri" ] && { printf '%s\n' "$uri"; return; }
	done
	printf '%s\n' http://deb.debian.org/debian
}

# binaries: build/corral and build/corralctl must exist (make e2e builds
# them first).
need_binaries() {
	local b
	for b in corral corralctl; do
		[ -x "$E2E_ROOT/build/$b" ] ||
		    skip "build/$b is missing: run make first"
	done
}

# The cache directory, and a lock so that two runs never build the same
# root at once.
cache_lock() {
	mkdir -p "$E2E_CACHE" || skip "cannot create $E2E_CACHE"
	exec 9>"$E2E_CACHE/.lock"
	if command -v flock >/dev/null 2>&1; then
		flock -w 600 9 || skip "$E2E_CACHE/.lock is held by another run"
	fi
}
