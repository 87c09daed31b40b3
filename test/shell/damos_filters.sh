#!/usr/bin/env bash
# damos_filters.sh — DAMOS filters and dests through /sys/kernel/mm/damon/admin
# (mm/damon/sysfs-schemes.c, usage.rst "schemes/<N>/{core_,ops_,}filters/" and "dests/"):
# the directories, their errnos, `on` refusing a filter it cannot make (ENOMEM), a vaddr stat
# scheme counting sz_ops_filter_passed, and vaddr migrate_cold spreading a buffer over two nodes
# by dests weights (numa_maps), with fvaddr in avail_operations.
source "$(dirname "$0")/lib.sh"

require_damon_admin
UL=18446744073709551615

resident() { grep -o " N$2=[0-9]*" "$SIM/processes/$1/numa_maps" | cut -d= -f2; }

write_ok "$K/nr_kdamonds" 1
write_ok "$K/0/contexts/nr_contexts" 1
C=$K/0/contexts/0
content_is "$C/avail_operations" "$(printf 'vaddr\nfvaddr\npaddr')"
write_ok "$C/schemes/nr_schemes" 1
S=$C/schemes/0
for d in filters core_filters ops_filters; do content_is "$S/$d/nr_filters" 0; done
content_is "$S/dests/nr_dests" 0
content_is "$S/stats/sz_ops_filter_passed" 0

# the filter files, as sysfs-schemes.c stores them
write_ok "$S/ops_filters/nr_filters" 1
F=$S/ops_filters/0
[ "$(stat -c '%a %s' "$F/damon_target_idx")" = "600 4096" ] && pass "damon_target_idx is 0600, size 4096" || fail "damon_target_idx: $(stat -c '%a %s' "$F/damon_target_idx")"
content_is "$F/type" anon
content_is "$F/matching" N
write_fails_with "$F/type" addr EINVAL                      # a core type in ops_filters
write_fails_with "$F/type" bogus EINVAL
write_fails_with "$F/matching" maybe EINVAL
write_fails_with "$F/addr_start" 18446744073709551616 ERANGE  # kstrtoul's own errno
write_fails_with "$F/damon_target_idx" x EINVAL
write_fails_with "$S/core_filters/nr_filters" -1 EINVAL
write_ok "$S/core_filters/nr_filters" 1
write_fails_with "$S/core_filters/0/type" young EINVAL       # an ops type in core_filters
write_ok "$S/core_filters/nr_filters" 0
write_ok "$F/matching" yes
content_is "$F/matching" Y
write_ok "$F/allow" Y

# usage.rst: a vaddr stat scheme with an ops filter counts what the filter passes
sim_spawn "hotset size=16M node=0"
hot=$REPLY
write_ok "$C/operations" vaddr
write_ok "$C/targets/nr_targets" 1
write_ok "$C/targets/0/pid_target" "$hot"
for p in sz nr_accesses age; do write_ok "$S/access_pattern/$p/max" $UL; done
write_ok "$F/type" memcg
write_fails_with "$K/0/state" on ENOMEM                     # memcg_path never written: no memcg
write_ok "$F/memcg_path" /sys/fs/cgroup/nope
write_fails_with "$K/0/state" on ENOMEM                     # no such memcg
content_is "$K/0/state" off
write_ok "$F/memcg_path" /                                  # the root memcg: every process is in it
write_ok "$K/0/state" on
write_ok "$SIM/advance" 300ms
write_ok "$K/0/state" update_schemes_stats
passed=$(cat "$S/stats/sz_ops_filter_passed")
[ "$passed" -ge $((16 << 20)) ] && pass "sz_ops_filter_passed $passed counts the 16 MiB hot set" || fail "sz_ops_filter_passed $passed"
write_ok "$K/0/state" update_schemes_tried_regions
[ -f "$S/tried_regions/0/sz_filter_passed" ] && pass "tried_regions/0/sz_filter_passed appears" || fail "tried_regions lists $(ls "$S/tried_regions" | tr '\n' ' ')"
write_ok "$K/0/state" off
echo 9 >"$SIM/processes/$hot/kill" 2>/dev/null || true

# dests: vaddr migrate_cold interleaves the pages over the destinations by weight
sim_spawn "idle size=16M node=0"
idle=$REPLY
write_ok "$C/targets/0/pid_target" "$idle"
write_ok "$S/ops_filters/nr_filters" 0
write_ok "$S/action" migrate_cold
write_ok "$S/dests/nr_dests" 2
write_fails_with "$S/dests/0/id" 4294967296 ERANGE
write_ok "$S/dests/0/id" 0
write_ok "$S/dests/0/weight" 3
write_ok "$S/dests/1/id" 1
write_ok "$S/dests/1/weight" 1
before=$(awk '$1 == "pgmigrate_success" { print $2 }' "$R/proc/vmstat")
write_ok "$K/0/state" on
write_ok "$SIM/advance" 1s
write_ok "$K/0/state" off
after=$(awk '$1 == "pgmigrate_success" { print $2 }' "$R/proc/vmstat")
[ "$(resident "$idle" 1)" = 1024 ] && pass "weights 3:1 send a quarter of 4096 pages to node 1" || fail "numa_maps: $(cat "$SIM/processes/$idle/numa_maps")"
[ $((after - before)) = 1024 ] && pass "pgmigrate_success counted the 1024 moves" || fail "pgmigrate_success moved by $((after - before))"
echo 9 >"$SIM/processes/$idle/kill" 2>/dev/null || true
write_ok "$K/nr_kdamonds" 0
finish
