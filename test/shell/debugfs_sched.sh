#!/usr/bin/env bash
# debugfs_sched.sh — /sys/kernel/debug/sched/numa_balancing (kernel/sched/debug.c, 5.13+;
# hot_threshold_ms 6.0+): debugfs_create_u32 files, mode 0644, size 0, "%llu\n", writes parsed
# as u64 in base 0 with no range check and cut to 32 bits; the debugfs root is 0700.
source "$(dirname "$0")/lib.sh"

D=$DEBUGFS/sched/numa_balancing
require_file "$D"

[ "$(stat -c %a "$DEBUGFS")" = 700 ] && pass "debugfs root is 0700" || fail "debugfs root mode $(stat -c %a "$DEBUGFS")"
declare -A defaults=([scan_delay_ms]=1000 [scan_period_min_ms]=1000 [scan_period_max_ms]=60000 [scan_size_mb]=256 [hot_threshold_ms]=1000)
for f in scan_delay_ms scan_period_min_ms scan_period_max_ms scan_size_mb hot_threshold_ms; do
	if [ ! -e "$D/$f" ]; then
		[ $f = hot_threshold_ms ] && { note "no $f (kernel before 6.0)"; continue; }
		fail "no $D/$f"
		continue
	fi
	[ "$(stat -c '%a %s' "$D/$f")" = "644 0" ] || fail "$f: mode/size $(stat -c '%a %s' "$D/$f"), want 644 0"
	[[ $(cat "$D/$f") =~ ^[0-9]+$ ]] || fail "$f reads '$(cat "$D/$f")'"
	is_fresh && content_is "$D/$f" "${defaults[$f]}"
done

writes_allowed || { note "writes disabled: write rules not checked"; finish; }
f=$D/scan_delay_ms
saved=$(cat "$f")
write_ok "$f" 0x10 && content_is "$f" 16              # base 0: hex
write_ok "$f" 010 && content_is "$f" 8                # base 0: octal
write_ok "$f" 4294967297 && content_is "$f" 1         # u64 accepted, stored as u32
write_fails_with "$f" abc EINVAL
write_fails_with "$f" -1 EINVAL                       # kstrtoull: no sign
write_fails_with "$f" 12ms EINVAL
content_is "$f" 1
echo "$saved" >"$f"
s=$D/scan_size_mb
saved=$(cat "$s")
write_ok "$s" 0 && content_is "$s" 0                  # no range check in debugfs (unlike the old sysctl)
echo "$saved" >"$s"
content_is "$s" "$saved"
finish
