#!/usr/bin/env bash
# damon_lru_sort.sh — /sys/module/damon_lru_sort/parameters (mm/damon/lru_sort.c): modes and
# defaults, kstrtoul/kstrtobool errnos, lru_sort.rst's example session (hot_thres_access_freq,
# cold_min_age, quota, watermarks, enabled) with kdamond_pid, and the LRU model sorted: the hot
# set of a process on the CXL node moves to the node's active list (nr_active_anon), the rest
# stays inactive, and the hot stats parameters count it.
source "$(dirname "$0")/lib.sh"

P=$R/sys/module/damon_lru_sort/parameters
require_file "$P/enabled"

[ "$(stat -c '%a %s' "$P/enabled")" = "600 4096" ] && pass "enabled is 0600, size 4096" || fail "enabled: $(stat -c '%a %s' "$P/enabled")"
[ "$(stat -c '%a' "$P/kdamond_pid")" = 400 ] && pass "kdamond_pid is 0400" || fail "kdamond_pid mode $(stat -c '%a' "$P/kdamond_pid")"
for f in commit_inputs hot_thres_access_freq cold_min_age quota_ms quota_reset_interval_ms wmarks_interval wmarks_high wmarks_mid wmarks_low sample_interval aggr_interval min_nr_regions max_nr_regions monitor_region_start monitor_region_end addr_unit; do
	[ "$(stat -c '%a' "$P/$f")" = 600 ] || fail "$f is missing or not 0600"
done
for s in hot cold; do
	for f in nr_lru_sort_tried_${s}_regions bytes_lru_sort_tried_${s}_regions nr_lru_sorted_${s}_regions bytes_lru_sorted_${s}_regions nr_${s}_quota_exceeds; do
		[ "$(stat -c '%a' "$P/$f")" = 400 ] || fail "$f is missing or not 0400"
	done
done
is_fresh && content_is "$P/enabled" N
is_fresh && content_is "$P/hot_thres_access_freq" 500
is_fresh && content_is "$P/cold_min_age" 120000000
is_fresh && content_is "$P/wmarks_high" 200
is_fresh && content_is "$P/kdamond_pid" -1

require_writes
is_simulator || skip "a real kernel's DAMON_LRU_SORT is not switched by this script"
write_fails_with "$P/cold_min_age" abc EINVAL
write_fails_with "$P/hot_thres_access_freq" 18446744073709551616 ERANGE
write_fails_with "$P/addr_unit" 0 EINVAL
write_fails_with "$P/enabled" maybe EINVAL
write_fails_with "$P/kdamond_pid" 5 EACCES
write_ok "$P/sample_interval" 0
write_fails_with "$P/enabled" Y EINVAL
write_ok "$P/sample_interval" 5000
content_is "$P/enabled" N

# lru_sort.rst's example, as written there
(
	cd "$P" || exit 1
	echo 500 > hot_thres_access_freq &&
	echo 120000000 > cold_min_age &&
	echo 10 > quota_ms &&
	echo 1000 > quota_reset_interval_ms &&
	echo 500 > wmarks_high &&
	echo 400 > wmarks_mid &&
	echo 200 > wmarks_low &&
	echo Y > enabled
) && pass "lru_sort.rst: the example's writes succeed" || fail "lru_sort.rst example failed"
content_is "$P/enabled" Y
[[ $(cat "$P/kdamond_pid") =~ ^[1-9][0-9]*$ ]] && pass "kdamond_pid $(cat "$P/kdamond_pid")" || fail "kdamond_pid '$(cat "$P/kdamond_pid")' while enabled"
[ "$(cat "$P/monitor_region_end")" -gt "$(cat "$P/monitor_region_start")" ] && pass "monitor_region_* default to the largest System RAM: $(cat "$P/monitor_region_start")-$(cat "$P/monitor_region_end")" || fail "monitor_region_* $(cat "$P/monitor_region_start")-$(cat "$P/monitor_region_end")"
write_fails_with "$R/sys/module/damon_reclaim/parameters/enabled" Y EBUSY
write_ok "$P/enabled" N
content_is "$P/kdamond_pid" -1

# The LRU model: a 256 MiB process on the CXL node (the largest System RAM range on
# cxl-2node) whose 16 MiB hot set takes every access; its pages start on the inactive list.
SIM=$R/sim
VMSTAT1=$NODE/node1/vmstat
if [ -f "$SIM/spawn" ] && [ -f "$VMSTAT1" ]; then
	active() { awk '$1 == "nr_active_anon" {print $2}' "$VMSTAT1"; }
	nb=$(cat "$KSYSCTL/numa_balancing")
	write_ok "$KSYSCTL/numa_balancing" 0 # keep the hot set on the CXL node
	exec 3<>"$SIM/spawn"; echo "hotset size=256M hot=0.0625 share=1 node=1" >&3; read -r pid <&3; exec 3>&-
	before=$(active)
	echo 1000 >"$P/wmarks_high"; echo 0 >"$P/wmarks_mid"; echo 0 >"$P/wmarks_low" # always active
	echo 1000000 >"$P/cold_min_age"
	content_is "$P/quota_ms" 10 # the default time quota: the walk pays for free pfns too (DESIGN §8.2)
	write_ok "$P/enabled" Y
	write_ok "$SIM/advance" 3s
	gained=$(($(active) - before))
	# 4096 hot pages; region edges may take cold neighbours along (where they fall depends on the
	# kdamond's random splits, so on what ran before), and the cold scheme puts those back once
	# they are cold_min_age old: give it up to 10 more seconds.
	for _ in $(seq 10); do
		[ "$gained" -le 4400 ] && break
		write_ok "$SIM/advance" 1s >/dev/null
		gained=$(($(active) - before))
	done
	[ "$gained" -ge 3900 ] && [ "$gained" -le 4400 ] && pass "the hot set moved to the active list: +$gained pages (hot set 4096)" || fail "nr_active_anon +$gained, the hot set is 4096 pages"
	[ "$(cat "$P/bytes_lru_sorted_hot_regions")" -ge $((4096 * 4096)) ] && pass "bytes_lru_sorted_hot_regions $(cat "$P/bytes_lru_sorted_hot_regions")" || fail "bytes_lru_sorted_hot_regions $(cat "$P/bytes_lru_sorted_hot_regions")"
	[ "$(cat "$P/nr_lru_sort_tried_cold_regions")" -gt 0 ] && pass "cold regions tried: $(cat "$P/nr_lru_sort_tried_cold_regions")" || fail "no cold region tried"
	write_ok "$P/enabled" N
	echo 9 >"$SIM/processes/$pid/kill" 2>/dev/null || true
	echo "$nb" >"$KSYSCTL/numa_balancing"
fi
echo 500 >"$P/hot_thres_access_freq"; echo 120000000 >"$P/cold_min_age"; echo 10 >"$P/quota_ms"
echo 200 >"$P/wmarks_high"; echo 150 >"$P/wmarks_mid"; echo 50 >"$P/wmarks_low"
echo 0 >"$P/monitor_region_start"; echo 0 >"$P/monitor_region_end"
finish
