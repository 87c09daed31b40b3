# lib.sh — helpers for tiersim's kselftest-style scripts (source it; bash only).
#
# Every path is under the root prefix TIERSIM_ROOT: a tiersim mount, or / for a real kernel.
# Scripts write only when TIERSIM_ALLOW_WRITES=1 (run.sh sets it for the mount it starts), so
# the same scripts can be pointed at a real machine read-only: TIERSIM_ROOT=/ bash run.sh.
# Exit status: 0 pass, 1 fail, 4 skip (KSFT_SKIP).

if [ -z "${TIERSIM_ROOT:-}" ]; then
	echo "lib.sh: TIERSIM_ROOT is not set (run through test/shell/run.sh, or set it to a mount or /)" >&2
	exit 1
fi
R=${TIERSIM_ROOT%/}
NODE=$R/sys/devices/system/node
MEM=$R/sys/devices/system/memory
TIERS=$R/sys/devices/virtual/memory_tiering
MMNUMA=$R/sys/kernel/mm/numa
DEBUGFS=$R/sys/kernel/debug
PROC=$R/proc
KSYSCTL=$R/proc/sys/kernel

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
__failures=0

# Reporting. Lines starting with '#' are TAP diagnostics in the runner's output.
note() { printf '# %s\n' "$*"; }
pass() { printf '# ok: %s\n' "$*"; }
fail() {
	printf '# FAIL: %s\n' "$*"
	__failures=$((__failures + 1))
	return 1
}
# skip REASON: the whole script is skipped (exit 4).
skip() {
	printf 'SKIP: %s\n' "$*"
	exit $KSFT_SKIP
}
# finish: exit 1 if any check failed, else 0.
finish() {
	if [ "$__failures" -gt 0 ]; then
		note "$__failures check(s) failed"
		exit $KSFT_FAIL
	fi
	exit $KSFT_PASS
}

# True when the root is a simulator mount rather than a real kernel at /.
is_simulator() { [ -n "$R" ]; }
# True when the runner started a fresh mount (defaults can be asserted).
is_fresh() { [ "${TIERSIM_FRESH:-0}" = 1 ]; }
writes_allowed() { [ "${TIERSIM_ALLOW_WRITES:-0}" = 1 ]; }
require_writes() { writes_allowed || skip "writes disabled (set TIERSIM_ALLOW_WRITES=1 to let this script write under ${R:-/})"; }
# require_file FILE: go on only if FILE exists. tiersim must serve every file these scripts
# check (a missing one fails); a real kernel may predate it (the script is skipped).
require_file() {
	[ -e "$1" ] && return 0
	if is_simulator; then
		fail "tiersim serves no $1"
		finish
	fi
	skip "$1 does not exist here"
}
# have_file FILE WHY: 0 if FILE exists; otherwise a failure on tiersim, a note on a real kernel.
have_file() {
	[ -e "$1" ] && return 0
	if is_simulator; then fail "tiersim serves no $1"; else note "no $1 ($2)"; fi
	return 1
}

# sim_spawn SPEC: write SPEC to sim/spawn and read the answer on the same open file; the pid in
# REPLY. A spawn that answers no pid fails the script there.
sim_spawn() {
	exec 3<>"$R/sim/spawn"
	echo "$1" >&3
	read -r REPLY <&3
	exec 3>&-
	[[ $REPLY =~ ^[0-9]+$ ]] || { fail "sim/spawn '$1' answered '$REPLY'"; finish; }
}

# require_damon_admin: go on only with a writable tiersim DAMON_SYSFS tree; sets A (the admin
# directory), K (its kdamonds) and SIM (the mount's sim/).
require_damon_admin() {
	A=$R/sys/kernel/mm/damon/admin
	K=$A/kdamonds
	SIM=$R/sim
	require_file "$K/nr_kdamonds"
	require_writes
	is_simulator || skip "a real kernel's DAMON sysfs is not written by this script"
}

# strerror ERRNAME: the text bash prints for that errno.
strerror() {
	case $1 in
	EINVAL) echo "Invalid argument" ;;
	EBUSY) echo "Device or resource busy" ;;
	EPERM) echo "Operation not permitted" ;;
	EACCES) echo "Permission denied" ;;
	ENOMEM) echo "Cannot allocate memory" ;;
	ERANGE) echo "Numerical result out of range" ;;
	ENOENT) echo "No such file or directory" ;;
	ENODEV) echo "No such device" ;;
	ESRCH) echo "No such process" ;;
	EEXIST) echo "File exists" ;;
	ENAMETOOLONG) echo "File name too long" ;;
	*) echo "lib.sh: strerror: unknown errno name $1" >&2; return 1 ;;
	esac
}

# read_file FILE: the exact bytes of FILE (trailing newlines kept) in the variable REPLY.
read_file() {
	REPLY=$(cat "$1" && printf x) || return 1
	REPLY=${REPLY%x}
}

# content_is FILE EXPECTED: FILE holds exactly EXPECTED plus one newline, as sysfs values do.
content_is() {
	local want=$2$'\n'
	if ! read_file "$1"; then
		fail "content_is: cannot read $1"
		return 1
	fi
	if [ "$REPLY" = "$want" ]; then
		pass "$1 is '$2'"
	else
		fail "$1: want '$2\\n', got '$(printf '%q' "$REPLY")'"
	fi
}

# is_empty FILE WHAT: FILE reads as nothing at all (not even a newline).
is_empty() {
	if read_file "$1" && [ -z "$REPLY" ]; then pass "$2"; else fail "$2: $1 reads '$(printf '%q' "$REPLY")'"; fi
}

# write_ok FILE VALUE: `echo VALUE > FILE` succeeds.
write_ok() {
	writes_allowed || { fail "write_ok $1: writes are disabled (guard with writes_allowed)"; return 1; }
	local err
	if err=$( { echo "$2" >"$1"; } 2>&1); then
		pass "echo '$2' > $1"
	else
		fail "echo '$2' > $1 failed: $err"
	fi
}

# write_fails_with FILE VALUE ERRNAME: `echo VALUE > FILE` fails the way bash reports ERRNAME
# ("write error: <strerror>"; for EACCES/EPERM also the open-time "FILE: <strerror>"), and the
# content is unchanged.
write_fails_with() {
	writes_allowed || { fail "write_fails_with $1: writes are disabled (guard with writes_allowed)"; return 1; }
	local file=$1 value=$2 want before after err msg readable=0
	msg=$(strerror "$3") || return 1
	if [ -r "$file" ] && read_file "$file" 2>/dev/null; then
		before=$REPLY
		readable=1
	fi
	if err=$( { echo "$value" >"$file"; } 2>&1); then
		fail "echo '$value' > $file succeeded; want $3"
		return 1
	fi
	want="write error: $msg"
	case $err in
	*"$want"*) ;;
	*"$file: $msg"*) [ "$3" = EACCES ] || [ "$3" = EPERM ] || { fail "echo '$value' > $file: want '$want', got '$err'"; return 1; } ;;
	*) fail "echo '$value' > $file: want '$want', got '$err'"; return 1 ;;
	esac
	if [ $readable = 1 ]; then
		read_file "$file"
		after=$REPLY
		if [ "$before" != "$after" ]; then
			fail "echo '$value' > $file failed with $3 but changed the content from '$before' to '$after'"
			return 1
		fi
	fi
	pass "echo '$value' > $file fails with $3"
}

# wait_until TIMEOUT_SECONDS CMD...: run CMD until it succeeds; 1 on timeout.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# expand_list LIST: a kernel range list ("0-2,5") as one number per line.
expand_list() {
	local IFS=, r
	for r in $1; do
		case $r in
		*-*) seq "${r%-*}" "${r#*-}" ;;
		?*) echo "$r" ;;
		esac
	done
}

# compress_list N...: numbers (ascending) as the kernel prints a range list ("0-2,5").
compress_list() {
	local out="" start="" prev="" n
	for n in "$@"; do
		if [ -n "$prev" ] && [ "$n" -eq $((prev + 1)) ]; then
			prev=$n
			continue
		fi
		[ -n "$start" ] && out+=$([ "$start" = "$prev" ] && echo "$start" || echo "$start-$prev"),
		start=$n
		prev=$n
	done
	[ -n "$start" ] && out+=$([ "$start" = "$prev" ] && echo "$start" || echo "$start-$prev")
	echo "$out"
}

# in_list N LIST: N is in the range list LIST.
in_list() { expand_list "$2" | grep -qx "$1"; }

# hex_to_list HEXMASK: a cpumap-style mask ("ff", "00000000,0000ffff") as a range list.
hex_to_list() {
	local hex=${1//,/} bits=() i d b
	for ((i = ${#hex} - 1; i >= 0; i--)); do
		d=$((16#${hex:i:1}))
		for b in 0 1 2 3; do
			if (((d >> b) & 1)); then bits+=($(( (${#hex} - 1 - i) * 4 + b ))); fi
		done
	done
	compress_list "${bits[@]}"
}

# node_kb N FIELD: a value (kB) from nodeN/meminfo, e.g. node_kb 1 MemTotal.
node_kb() { awk -v k="$2:" '$3 == k { print $4 }' "$NODE/node$1/meminfo"; }
# meminfo_kb FIELD: a value (kB) from /proc/meminfo.
meminfo_kb() { awk -v k="$1:" '$1 == k { print $2 }' "$PROC/meminfo"; }
# block_size: memory block size in bytes.
block_size() { echo $((16#$(cat "$MEM/block_size_bytes"))); }
# node_blocks N: the memory block numbers of node N, ascending.
node_blocks() {
	local l
	for l in "$NODE/node$1"/memory[0-9]*; do
		[ -e "$l" ] || [ -L "$l" ] || continue
		echo "${l##*memory}"
	done | sort -n
}
# online_nodes: the online node numbers, one per line.
online_nodes() { expand_list "$(cat "$NODE/online")"; }
