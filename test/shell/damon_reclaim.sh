#!/usr/bin/env bash
# damon_reclaim.sh — /sys/module/damon_reclaim/parameters (mm/damon/reclaim.c): modes and
# defaults, kstrtoul/kstrtobool errnos, and reclaim.rst's example session (min_age, quota_sz,
# quota_reset_interval_ms, watermarks, enabled) with kdamond_pid and the stats parameters.
source "$(dirname "$0")/lib.sh"

P=$R/sys/module/damon_reclaim/parameters
require_file "$P/enabled"

[ "$(stat -c '%a %s' "$P/enabled")" = "600 4096" ] && pass "enabled is 0600, size 4096" || fail "enabled: $(stat -c '%a %s' "$P/enabled")"
[ "$(stat -c '%a' "$P/kdamond_pid")" = 400 ] && pass "kdamond_pid is 0400" || fail "kdamond_pid mode $(stat -c '%a' "$P/kdamond_pid")"
for f in min_age quota_ms quota_sz quota_reset_interval_ms wmarks_interval wmarks_high wmarks_mid wmarks_low sample_interval aggr_interval min_nr_regions max_nr_regions monitor_region_start monitor_region_end skip_anon commit_inputs nr_reclaim_tried_regions bytes_reclaim_tried_regions nr_reclaimed_regions bytes_reclaimed_regions nr_quota_exceeds; do
	[ -f "$P/$f" ] || fail "no parameter $f"
done
is_fresh && content_is "$P/enabled" N
is_fresh && content_is "$P/min_age" 120000000
is_fresh && content_is "$P/quota_sz" 134217728
is_fresh && content_is "$P/kdamond_pid" -1

require_writes
is_simulator || skip "a real kernel's DAMON_RECLAIM is not switched by this script"
write_fails_with "$P/min_age" abc EINVAL
write_fails_with "$P/quota_sz" 18446744073709551616 ERANGE
write_fails_with "$P/enabled" maybe EINVAL

# reclaim.rst's example, as written there
(
	cd "$P" || exit 1
	echo 30000000 > min_age &&
	echo $((1 * 1024 * 1024 * 1024)) > quota_sz &&
	echo 1000 > quota_reset_interval_ms &&
	echo 500 > wmarks_high &&
	echo 400 > wmarks_mid &&
	echo 200 > wmarks_low &&
	echo Y > enabled
) && pass "reclaim.rst: the example's writes succeed" || fail "reclaim.rst example failed"
content_is "$P/enabled" Y
[[ $(cat "$P/kdamond_pid") =~ ^[1-9][0-9]*$ ]] && pass "kdamond_pid $(cat "$P/kdamond_pid")" || fail "kdamond_pid '$(cat "$P/kdamond_pid")' while enabled"
[ "$(cat "$P/monitor_region_end")" -gt "$(cat "$P/monitor_region_start")" ] && pass "monitor_region_* default to the largest System RAM: $(cat "$P/monitor_region_start")-$(cat "$P/monitor_region_end")" || fail "monitor_region_* $(cat "$P/monitor_region_start")-$(cat "$P/monitor_region_end")"
write_ok "$P/enabled" N
content_is "$P/kdamond_pid" -1
echo 120000000 >"$P/min_age"; echo 134217728 >"$P/quota_sz"; echo 0 >"$P/monitor_region_start"; echo 0 >"$P/monitor_region_end"
finish
