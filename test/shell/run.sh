#!/usr/bin/env bash
# run.sh — tiersim's kselftest-style harness: runs every test script here and prints TAP 13.
#
#   bash test/shell/run.sh                 # starts its own mount (--clock virtual), tears it down
#   TIERSIM_ROOT=/path/to/mount bash run.sh  # an existing tiersim mount (read-only unless
#                                            # TIERSIM_ALLOW_WRITES=1)
#   TIERSIM_ROOT=/ bash run.sh             # the same scripts, read-only, against a real kernel
#   bash run.sh sysctl.sh node_files.sh    # only these scripts
#
# A script passes with exit 0, is skipped with exit 4 (its "SKIP: reason" line is the reason),
# and fails otherwise. run.sh exits 1 if any script failed.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

server_pid=
workdir=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill -TERM "$server_pid" 2>/dev/null
		for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	if [ -n "$workdir" ]; then
		if grep -q " $workdir/mnt " /proc/self/mountinfo; then fusermount -uz "$workdir/mnt" 2>/dev/null; fi
		rm -rf "$workdir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${TIERSIM_ROOT:-}" ]; then
	if [ ! -e /dev/fuse ]; then
		echo "TAP version 13"
		echo "1..0 # SKIP /dev/fuse is absent: cannot start a tiersim mount (set TIERSIM_ROOT to use an existing one)"
		exit 0
	fi
	workdir=$(mktemp -d -t tiersim-harness.XXXXXX)
	node "$repo/bin/tiersim.js" mount "$workdir/mnt" --clock virtual >"$workdir/server.log" 2>&1 &
	server_pid=$!
	for _ in $(seq 300); do
		grep -q "mounted at $workdir/mnt" "$workdir/server.log" && break
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.1
	done
	if ! grep -q "mounted at $workdir/mnt" "$workdir/server.log"; then
		echo "TAP version 13"
		echo "Bail out! tiersim mount did not start:"
		sed 's/^/# /' "$workdir/server.log"
		exit 1
	fi
	export TIERSIM_ROOT=$workdir/mnt TIERSIM_ALLOW_WRITES=1 TIERSIM_FRESH=1
fi
export TIERSIM_ROOT TIERSIM_REPO=$repo

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=()
	for t in "$here"/*.sh; do
		case ${t##*/} in run.sh | lib.sh) ;; *) tests+=("${t##*/}") ;; esac
	done
fi

echo "TAP version 13"
echo "# root: $TIERSIM_ROOT, writes: $([ "${TIERSIM_ALLOW_WRITES:-0}" = 1 ] && echo allowed || echo disabled)"
echo "1..${#tests[@]}"
failed=0
n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=${t%.sh}
	output=$(cd "$here" && timeout 300 bash "$here/${t##*/}" 2>&1)
	rc=$?
	printf '%s\n' "$output" | grep -v '^SKIP: ' | sed 's/^\([^#]\)/# \1/; s/^#\([^ ]\)/# #\1/; /^$/d'
	if [ $rc -eq 0 ]; then
		echo "ok $n - $name"
	elif [ $rc -eq 4 ]; then
		reason=$(printf '%s\n' "$output" | sed -n 's/^SKIP: //p' | tail -1)
		echo "ok $n - $name # SKIP ${reason:-no reason given}"
	else
		[ $rc -eq 124 ] && echo "# $name timed out after 300 s"
		echo "not ok $n - $name"
		failed=$((failed + 1))
	fi
done
[ $failed -eq 0 ] || echo "# $failed of ${#tests[@]} failed"
exit $((failed > 0))
