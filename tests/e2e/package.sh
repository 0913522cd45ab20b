#!/bin/bash
# End-to-end: the Debian package of `make deb` on a clean Debian root.
#
# A minbase root (mmdebstrap, cached in /var/tmp/corral-e2e/ and shared with
# podman.sh) is unpacked afresh; the package's two library dependencies are
# fetched on the host (apt-get download) so that no network is needed in
# there.  Then, in a chroot:
#   - dpkg -i of the package: the files of SPEC §17 are where it says;
#   - corral -t -c /etc/corral/corral.conf passes;
#   - a drop-in in /etc/corral/conf.d/ is picked up (corral -t -v);
#   - dpkg --purge leaves the root as it was before the install.
# Needs root; skips (exit 0) with the reason when it cannot run here.
set -u
E2E_NAME=package
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (chroot, dpkg in a root)"
cache_lock
need_tools mmdebstrap:mmdebstrap dpkg-buildpackage:dpkg-buildpackage \
    debhelper:dh lintian:lintian

SUITE=$(host_codename)
MIRROR=$(host_mirror "$SUITE")
BASE_TAR=$E2E_CACHE/podman-base.tar
STAMP="$SUITE minbase $MIRROR"
WORK=$(mktemp -d "$E2E_CACHE/run.XXXXXX")
ROOT=$WORK/root
teardown() {
	umount "$ROOT/proc" 2>/dev/null
	rm -rf "$WORK"
}
trap teardown EXIT
trap 'exit 130' INT TERM HUP PIPE

t=$(now)
if ! make -C "$E2E_ROOT" deb >"$WORK/deb.log" 2>&1; then
	tail -n 30 "$WORK/deb.log"
	result fail "make deb (lintian clean)" "$(elapsed "$t")" "see above"
	summary
	exit 1
fi
DEB=$(ls "$E2E_ROOT"/build/deb/corral_*_*.deb | grep -v dbgsym | head -n 1)
lint=$(grep -cE '^[EW]: ' "$WORK/deb.log")
result pass "make deb (lintian clean)" "$(elapsed "$t")" "$(basename "$DEB"), $(stat -c %s "$DEB") bytes; lintian errors and warnings: $lint; $(dpkg-deb -f "$DEB" Depends)"

if [ ! -s "$BASE_TAR" ] || [ "$(cat "$BASE_TAR.stamp" 2>/dev/null)" != "$STAMP" ]; then
	say "building $BASE_TAR ($SUITE minbase from $MIRROR; under a minute)"
	rm -f "$BASE_TAR" "$BASE_TAR.stamp"
	mmdebstrap --variant=minbase --format=tar "$SUITE" "$BASE_TAR.tmp" \
	    "$MIRROR" </dev/null >"$E2E_CACHE/podman-base.log" 2>&1 ||
	    skip "mmdebstrap $SUITE $MIRROR failed: $(tail -n 1 "$E2E_CACHE/podman-base.log")"
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	printf '%s\n' "$STAMP" >"$BASE_TAR.stamp"
fi
mkdir -p "$ROOT"
tar -C "$ROOT" -xf "$BASE_TAR" || skip "cannot unpack $BASE_TAR"
mkdir -p "$ROOT/tmp/debs"
deps=$(dpkg-deb -f "$DEB" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g' | grep -v '^libc6$' | xargs)
(cd "$ROOT/tmp/debs" && apt-get download $deps) >"$WORK/download.log" 2>&1 ||
    skip "apt-get download $deps failed: $(tail -n 1 "$WORK/download.log")"
cp "$DEB" "$ROOT/tmp/"
mount -t proc proc "$ROOT/proc" || skip "cannot mount /proc in the root"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
# What the root holds, but for dpkg's own records and logs.
census() {
	in_root find / -xdev \( -path /proc -o -path /tmp -o -path /var/lib/dpkg \
	    -o -path /var/log -o -path /var/cache \) -prune -o -print | sort
}

t=$(now)
in_root sh -c 'dpkg -i /tmp/debs/*.deb' >"$WORK/libs.log" 2>&1 ||
    { cat "$WORK/libs.log"; skip "the dependencies ($deps) do not install"; }
census >"$WORK/before"
if in_root dpkg -i "/tmp/$(basename "$DEB")" >"$WORK/install.log" 2>&1; then
	missing=""
	for f in /usr/sbin/corral /usr/sbin/corral-static /usr/bin/corralctl \
	    /usr/share/man/man8/corral.8.gz /usr/share/man/man5/corral.conf.5.gz \
	    /usr/share/man/man1/corralctl.1.gz /lib/systemd/system/corral.service \
	    /etc/corral/corral.conf /etc/corral/conf.d; do
		[ -e "$ROOT$f" ] || missing="$missing $f"
	done
	conffiles=$(in_root dpkg-query -W -f '${Conffiles}' corral | awk '{ print $1 }' | xargs)
	unit=$(grep '^ExecStart=' "$ROOT/lib/systemd/system/corral.service")
	detail="conffiles: $conffiles; $unit${missing:+; missing:$missing}"
	if [ -z "$missing" ] && [ "$conffiles" = /etc/corral/corral.conf ] &&
	    [ "$unit" = "ExecStart=/usr/sbin/corral -c /etc/corral/corral.conf" ]; then
		result pass "dpkg -i" "$(elapsed "$t")" "$detail"
	else
		result fail "dpkg -i" "$(elapsed "$t")" "$detail"
	fi
else
	cat "$WORK/install.log"
	result fail "dpkg -i" "$(elapsed "$t")" "dpkg -i failed"
fi

t=$(now)
out=$(in_root corral -t -c /etc/corral/corral.conf 2>&1)
rc=$?
static=$(in_root corral-static -t -c /etc/corral/corral.conf 2>&1)
src=$?
if [ "$rc" = 0 ] && [ "$src" = 0 ]; then
	result pass "corral -t of the packaged config" "$(elapsed "$t")" "'$out'; corral-static: '$static'"
else
	result fail "corral -t of the packaged config" "$(elapsed "$t")" "exit $rc: $out; corral-static exit $src: $static"
fi

t=$(now)
printf '%s\n' '[service:hello]' 'command = /bin/sleep infinity' \
    'user = nobody' >"$ROOT/etc/corral/conf.d/hello.conf"
plan=$(in_root corral -t -v -c /etc/corral/corral.conf 2>&1)
if grep -q '/etc/corral/conf.d/hello.conf' <<<"$plan" &&
    grep -q 'hello *selected' <<<"$plan"; then
	result pass "a drop-in in conf.d" "$(elapsed "$t")" "$(head -n 1 <<<"$plan"); read $(grep -c '^  /etc/corral' <<<"$plan") files"
else
	result fail "a drop-in in conf.d" "$(elapsed "$t")" "$plan"
fi
rm -f "$ROOT/etc/corral/conf.d/hello.conf"

t=$(now)
if in_root dpkg --purge corral >"$WORK/purge.log" 2>&1; then
	census >"$WORK/after"
	left=$(comm -13 "$WORK/before" "$WORK/after" | xargs)
	gone=$(comm -23 "$WORK/before" "$WORK/after" | xargs)
	if [ -z "$left" ] && [ -z "$gone" ]; then
		result pass "dpkg --purge" "$(elapsed "$t")" "the root is as before the install ($(wc -l <"$WORK/after") paths)"
	else
		result fail "dpkg --purge" "$(elapsed "$t")" "left behind: ${left:-none}; removed: ${gone:-none}"
	fi
else
	cat "$WORK/purge.log"
	result fail "dpkg --purge" "$(elapsed "$t")" "dpkg --purge failed"
fi

summary
