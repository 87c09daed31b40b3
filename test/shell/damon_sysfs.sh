#!/usr/bin/env bash
# damon_sysfs.sh — /sys/kernel/mm/damon/admin (mm/damon/sysfs.c): modes and sizes, defaults,
# nr_* files creating and removing directories, and usage.rst's session (nr_kdamonds,
# nr_contexts, operations, nr_targets, pid_target, on, update_schemes_stats, off) with the
# state errnos, as the kernel's sysfs selftests (sysfs.sh) check them.
source "$(dirname "$0")/lib.sh"

A=$R/sys/kernel/mm/damon/admin
K=$A/kdamonds
require_file "$K/nr_kdamonds"

[ "$(stat -c '%a %s' "$K/nr_kdamonds")" = "600 4096" ] && pass "nr_kdamonds is 0600, size 4096" || fail "nr_kdamonds: $(stat -c '%a %s' "$K/nr_kdamonds")"
is_fresh && content_is "$K/nr_kdamonds" 0

require_writes
is_simulator || skip "a real kernel's DAMON sysfs is not written by this script"
SIM=$R/sim

write_fails_with "$K/nr_kdamonds" -1 EINVAL
write_fails_with "$K/nr_kdamonds" abc EINVAL
write_fails_with "$K/nr_kdamonds" 2147483648 ERANGE
write_ok "$K/nr_kdamonds" 1
[ -d "$K/0" ] && pass "kdamonds/0 appears" || fail "no kdamonds/0 after nr_kdamonds 1"
[ "$(stat -c '%a' "$K/0")" = 755 ] && pass "kdamonds/0 is 0755" || fail "kdamonds/0 mode $(stat -c '%a' "$K/0")"
[ "$(stat -c '%a %s' "$K/0/pid")" = "400 4096" ] && pass "pid is 0400" || fail "pid: $(stat -c '%a %s' "$K/0/pid")"
content_is "$K/0/state" off
content_is "$K/0/pid" -1
content_is "$K/0/contexts/nr_contexts" 0
write_fails_with "$K/0/contexts/nr_contexts" 2 EINVAL
write_fails_with "$K/0/state" on EINVAL                     # no context
write_fails_with "$K/0/state" off EINVAL                    # never started
write_ok "$K/0/contexts/nr_contexts" 1
C=$K/0/contexts/0
content_is "$C/operations" vaddr
content_is "$C/monitoring_attrs/intervals/sample_us" 5000
content_is "$C/monitoring_attrs/intervals/aggr_us" 100000
content_is "$C/monitoring_attrs/intervals/update_us" 60000000
content_is "$C/monitoring_attrs/nr_regions/min" 10
content_is "$C/monitoring_attrs/nr_regions/max" 1000
write_fails_with "$C/operations" bogus EINVAL
content_is "$C/addr_unit" 1
write_fails_with "$C/addr_unit" 0 EINVAL
write_fails_with "$C/addr_unit" 18446744073709551616 ERANGE
write_fails_with "$C/monitoring_attrs/intervals/sample_us" -1 EINVAL

# usage.rst: a vaddr kdamond on a workload
exec 3<>"$SIM/spawn"
echo "hotset size=16M node=1" >&3
read -r wpid <&3
exec 3>&-
[[ $wpid =~ ^[0-9]+$ ]] || { fail "spawn answered '$wpid'"; finish; }
write_ok "$C/operations" vaddr
write_ok "$C/targets/nr_targets" 1
content_is "$C/targets/0/pid_target" 0
write_fails_with "$K/0/state" on EINVAL                     # pid 0: no such process
write_ok "$C/targets/0/pid_target" "$wpid"
write_ok "$C/schemes/nr_schemes" 1
S=$C/schemes/0
content_is "$S/action" stat
content_is "$S/target_nid" -1
content_is "$S/watermarks/metric" none
[ "$(stat -c '%a' "$S/stats/nr_tried")" = 400 ] && pass "stats/nr_tried is 0400" || fail "stats/nr_tried mode $(stat -c '%a' "$S/stats/nr_tried")"
write_fails_with "$S/action" bogus EINVAL
for p in sz nr_accesses age; do write_ok "$S/access_pattern/$p/max" 18446744073709551615; done
# Quota goals, effective_bytes, intervals_goal and refresh_ms (6.8–6.17 additions).
[ "$(stat -c '%a' "$S/quotas/effective_bytes")" = 400 ] && pass "quotas/effective_bytes is 0400" || fail "effective_bytes mode $(stat -c '%a' "$S/quotas/effective_bytes")"
content_is "$S/quotas/effective_bytes" 0
content_is "$S/quotas/goals/nr_goals" 0
write_fails_with "$S/quotas/goals/nr_goals" -1 EINVAL
write_ok "$S/quotas/goals/nr_goals" 1
content_is "$S/quotas/goals/0/target_metric" user_input
write_fails_with "$S/quotas/goals/0/target_metric" bogus EINVAL
write_fails_with "$S/quotas/goals/0/target_value" 18446744073709551616 ERANGE
write_ok "$S/quotas/goals/nr_goals" 0
IG=$C/monitoring_attrs/intervals/intervals_goal
for f in access_bp aggrs min_sample_us max_sample_us; do content_is "$IG/$f" 0; done
write_fails_with "$IG/aggrs" x EINVAL
write_ok "$IG/access_bp" 400
write_ok "$IG/aggrs" 3
write_ok "$IG/min_sample_us" 1000
write_ok "$IG/max_sample_us" 10000000
content_is "$K/0/refresh_ms" 0
write_fails_with "$K/0/refresh_ms" 4294967296 ERANGE
write_ok "$K/0/state" on
content_is "$K/0/state" on
[[ $(cat "$K/0/pid") =~ ^[1-9][0-9]*$ ]] && pass "pid reads the kdamond's pid $(cat "$K/0/pid")" || fail "pid reads '$(cat "$K/0/pid")' while on"
write_fails_with "$K/0/state" on EBUSY
write_fails_with "$K/nr_kdamonds" 2 EBUSY
write_ok "$SIM/advance" 500ms
content_is "$S/stats/nr_tried" 0
write_ok "$K/0/state" update_schemes_stats
[ "$(cat "$S/stats/nr_tried")" -gt 0 ] && pass "update_schemes_stats: nr_tried $(cat "$S/stats/nr_tried")" || fail "nr_tried still $(cat "$S/stats/nr_tried") after update_schemes_stats"
write_ok "$K/0/state" update_schemes_tried_regions
[ -f "$S/tried_regions/0/start" ] && pass "tried_regions/0 appears after update_schemes_tried_regions" || fail "no tried_regions/0: $(ls "$S/tried_regions" | tr '\n' ' ')"
[ "$(cat "$S/tried_regions/total_bytes")" -gt 0 ] && pass "tried_regions/total_bytes $(cat "$S/tried_regions/total_bytes")" || fail "total_bytes $(cat "$S/tried_regions/total_bytes")"
write_ok "$K/0/state" clear_schemes_tried_regions
[ "$(ls "$S/tried_regions")" = total_bytes ] && pass "clear_schemes_tried_regions leaves only total_bytes" || fail "tried_regions lists $(ls "$S/tried_regions" | tr '\n' ' ')"
# A user_input goal committed to the running scheme: the quota follows the feed loop.
write_ok "$S/quotas/goals/nr_goals" 1
write_ok "$S/quotas/goals/0/target_value" 10000
write_ok "$S/quotas/goals/0/current_value" 5000
write_ok "$S/quotas/reset_interval_ms" 100
write_ok "$K/0/state" commit
write_ok "$SIM/advance" 500ms
write_ok "$K/0/state" update_schemes_effective_quotas
# user_input at half its goal: the feed loop grows the quota from 1 byte, window after window.
[ "$(cat "$S/quotas/effective_bytes")" -gt 1 ] && pass "update_schemes_effective_quotas: effective_bytes $(cat "$S/quotas/effective_bytes")" || fail "effective_bytes $(cat "$S/quotas/effective_bytes")"
write_ok "$S/quotas/goals/0/current_value" 20000
write_ok "$K/0/state" commit_schemes_quota_goals
write_ok "$SIM/advance" 300ms
write_ok "$K/0/state" update_schemes_effective_quotas
content_is "$S/quotas/effective_bytes" 1                    # twice the goal: the minimum input
write_ok "$K/0/state" update_tuned_intervals
su=$(cat "$C/monitoring_attrs/intervals/sample_us")
[ "$su" -ne 5000 ] && [ "$(cat "$C/monitoring_attrs/intervals/aggr_us")" = $((su * 20)) ] && pass "update_tuned_intervals: sample_us $su, aggr_us 20 samples" || fail "tuned sample_us $su aggr_us $(cat "$C/monitoring_attrs/intervals/aggr_us")"
write_ok "$K/0/state" off
content_is "$K/0/state" off
content_is "$K/0/pid" -1
write_fails_with "$K/0/state" off EPERM
write_fails_with "$K/0/state" commit EINVAL                 # not running

# nr_* files remove what they no longer count
write_ok "$C/targets/nr_targets" 0
[ ! -e "$C/targets/0" ] && pass "targets/0 vanishes with nr_targets 0" || fail "targets/0 still there"
# the largest N (kmalloc_array's limit): all listed, any one readable
write_ok "$K/nr_kdamonds" 524288
n=$(ls "$K" | wc -l)
[ "$n" = 524289 ] && pass "nr_kdamonds 524288: ls lists 524289 names" || fail "ls lists $n names"
content_is "$K/524287/state" off
content_is "$K/524287/contexts/nr_contexts" 0
[ ! -e "$K/524288" ] && pass "kdamonds/524288 does not exist" || fail "kdamonds/524288 exists"
write_ok "$K/nr_kdamonds" 0
[ "$(ls "$K")" = nr_kdamonds ] && pass "kdamonds holds only nr_kdamonds again" || fail "kdamonds lists: $(ls "$K" | tr '\n' ' ')"
echo 9 >"$SIM/processes/$wpid/kill" 2>/dev/null || true

# usage.rst's sysfs session as written there (relative paths from admin/, its order of writes),
# with a stat scheme read through update_schemes_stats; then the workload exits and the
# kdamond, whose only vaddr target is gone, stops by itself.
exec 3<>"$SIM/spawn"
echo "hotset size=16M node=0" >&3
read -r upid <&3
exec 3>&-
(
	cd "$A" || exit 1
	echo 1 > kdamonds/nr_kdamonds && echo 1 > kdamonds/0/contexts/nr_contexts &&
	echo 1 > kdamonds/0/contexts/0/targets/nr_targets &&
	echo vaddr > kdamonds/0/contexts/0/operations &&
	echo "$upid" > kdamonds/0/contexts/0/targets/0/pid_target &&
	echo 1 > kdamonds/0/contexts/0/schemes/nr_schemes &&
	echo 4294967295 > kdamonds/0/contexts/0/schemes/0/access_pattern/nr_accesses/max &&
	echo 4294967295 > kdamonds/0/contexts/0/schemes/0/access_pattern/age/max &&
	echo 18446744073709551615 > kdamonds/0/contexts/0/schemes/0/access_pattern/sz/max &&
	echo on > kdamonds/0/state
) && pass "usage.rst: the session's writes succeed" || fail "usage.rst session failed"
content_is "$K/0/state" on
write_ok "$SIM/advance" 1s
write_ok "$K/0/state" update_schemes_stats
tried=$(cat "$K/0/contexts/0/schemes/0/stats/nr_tried")
applied=$(cat "$K/0/contexts/0/schemes/0/stats/sz_tried")
[ "$tried" -ge 10 ] && [ "$applied" -gt 0 ] && pass "usage.rst: stats after 1 s: nr_tried $tried, sz_tried $applied" || fail "stats nr_tried $tried sz_tried $applied"
echo 9 >"$SIM/processes/$upid/kill"
write_ok "$SIM/advance" 1s
content_is "$K/0/state" off                                 # its only target exited
content_is "$K/0/pid" -1
write_fails_with "$K/0/state" update_schemes_stats EINVAL   # needs a running kdamond
write_fails_with "$K/0/state" off EPERM                     # stopped by itself
write_ok "$K/nr_kdamonds" 0
finish
