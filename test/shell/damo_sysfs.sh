#!/usr/bin/env bash
# damo_sysfs.sh — the damo port's sysfs backend through a real mount, as damo 2.x/3.x is used:
# `damo start --target_pid PID` writes one kdamond (vaddr, intervals, nr_regions, the stat scheme
# damo adds) and turns it on; `damo status` prints it with scheme stats; `damo report access`
# lists the tried regions (update_schemes_tried_regions); `damo tune` commits new parameters;
# `damo stop` turns it off. A kernel
# file's errno reaches the user as "damo: <path>: <strerror>" with exit 1.
source "$(dirname "$0")/lib.sh"

require_damon_admin
[ -n "${TIERSIM_REPO:-}" ] || skip "TIERSIM_REPO is not set (run through run.sh)"
[ "$(cat "$K/nr_kdamonds")" = 0 ] || [ "$(cat "$K/0/state")" = off ] || skip "a kdamond is running"
damo() { node "$TIERSIM_REPO/bin/damo.js" --root "$R" "$@"; }
out=$(mktemp -d)
# Leave the tree as found (later scripts expect nr_kdamonds 0 on a fresh mount).
trap 'rm -rf "$out"; [ "$(cat "$K/0/state" 2>/dev/null)" = on ] && echo off >"$K/0/state"; echo 0 >"$K/nr_kdamonds"' EXIT

sim_spawn "hotset size=64M node=1"
wpid=$REPLY
damo start --target_pid "$wpid" -s 10000 -a 200000 -u 2000000 -n 20 -m 500 >"$out/start.log" 2>&1 && pass "damo start exited 0" || fail "damo start: $(cat "$out/start.log")"
C=$K/0/contexts/0
content_is "$K/nr_kdamonds" 1
content_is "$K/0/state" on
content_is "$C/operations" vaddr
content_is "$C/targets/nr_targets" 1
content_is "$C/targets/0/pid_target" "$wpid"
content_is "$C/monitoring_attrs/intervals/sample_us" 10000
content_is "$C/monitoring_attrs/intervals/aggr_us" 200000
content_is "$C/monitoring_attrs/intervals/update_us" 2000000
content_is "$C/monitoring_attrs/nr_regions/min" 20
content_is "$C/monitoring_attrs/nr_regions/max" 500
content_is "$C/schemes/nr_schemes" 1
content_is "$C/schemes/0/action" stat

kpid=$(cat "$K/0/pid")
damo start --target_pid "$wpid" >"$out/again.log" 2>&1 && fail "a second damo start succeeded" ||
	{ grep -q "^damo: kdamond 0 is running" "$out/again.log" && pass "a second damo start is refused" || fail "second start said: $(cat "$out/again.log")"; }
echo 2s >"$SIM/advance"

damo status >"$out/status.txt" || fail "damo status exited $?"
grep -q "^kdamond 0$" "$out/status.txt" && grep -q "^    state: on, pid: $kpid$" "$out/status.txt" && pass "status: kdamond 0 on, pid $kpid" || fail "status: $(head -3 "$out/status.txt")"
grep -q "^            pid: $wpid$" "$out/status.txt" && grep -q "^        intervals: sample 10 ms, aggr 200 ms, update 2 s$" "$out/status.txt" &&
	pass "status: target pid and intervals" || fail "status: $(cat "$out/status.txt")"
tried=$(cat "$C/schemes/0/stats/nr_tried")
[ "$tried" -gt 0 ] && grep -q "^                tried $(echo "$tried" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta') regions" "$out/status.txt" &&
	pass "status ran update_schemes_stats: tried $tried regions" || fail "stats/nr_tried $tried; status: $(grep tried "$out/status.txt")"
damo report damon | grep -q "^        ops: vaddr$" && pass "report damon prints the context" || fail "report damon: $(damo report damon 2>&1 | head -5)"

damo report access --raw_number >"$out/access.txt" || fail "damo report access exited $?"
total=$(awk '/^total size: / { print $3 }' "$out/access.txt")
n=$(grep -c '^[0-9]* *addr ' "$out/access.txt")
[ "$n" -gt 0 ] && [ "$n" = "$(ls "$C/schemes/0/tried_regions" | grep -c '^[0-9]')" ] && pass "report access: $n regions, one per tried region" || fail "report access $n lines vs tried_regions $(ls "$C/schemes/0/tried_regions" | tr '\n' ' ')"
[ "$total" = "$(cat "$C/schemes/0/tried_regions/total_bytes")" ] && [ "$total" -ge $((64 << 20)) ] && pass "report access: total size $total bytes = tried_regions/total_bytes, covers the 64 MiB" || fail "total $total vs total_bytes $(cat "$C/schemes/0/tried_regions/total_bytes")"
first=$(cat "$C/schemes/0/tried_regions/0/start")
grep -q "^0 *addr $first " "$out/access.txt" && pass "report access: region 0 starts at $first" || fail "first line: $(head -1 "$out/access.txt")"
damo report access | grep -Eq '^0 +addr [0-9.]+ [KMGT]iB +size [0-9.]+ [KMG]?i?B +access [0-9]+ % +age ' && pass "report access: damo's detailed style" || fail "report access: $(damo report access | head -2)"

# damo tune: new intervals and a scheme on the running kdamond (state commit), same kdamond.
damo tune --target_pid "$wpid" -s 10000 -a 100000 --damos_action pageout --damos_age 10s max || fail "damo tune exited $?"
content_is "$K/0/state" on
content_is "$K/0/pid" "$kpid"
content_is "$C/monitoring_attrs/intervals/aggr_us" 100000
content_is "$C/schemes/0/action" pageout
content_is "$C/schemes/0/access_pattern/age/min" 100

damo stop || fail "damo stop exited $?"
content_is "$K/0/state" off
damo stop 2>"$out/stop.log" && fail "damo stop with nothing running succeeded" || { grep -q "^damo: DAMON is not running$" "$out/stop.log" && pass "damo stop with nothing running fails" || fail "stop said $(cat "$out/stop.log")"; }

# errno propagation: a pid that does not exist is refused at `state on` (EINVAL).
damo start --target_pid 999999 2>"$out/err.log" && fail "damo start on a missing pid succeeded" ||
	{ [ "$(cat "$out/err.log")" = "damo: $K/0/state: Invalid argument" ] && pass "missing pid: $(cat "$out/err.log")" || fail "missing pid said '$(cat "$out/err.log")'"; }
content_is "$K/0/state" off
damo start --target_pid "$wpid" -n 0 2>"$out/err2.log" && fail "damo start with min nr_regions 0 succeeded" || pass "nr_regions min 0 refused: $(cat "$out/err2.log")"
content_is "$K/0/state" off

# A DAMOS scheme from the command line: pageout of what is idle for 1 s, 1 GiB per second.
damo start paddr --damos_action pageout --damos_access_rate 0% 0% --damos_age 1s max --damos_quotas 100 1G 1000 || fail "damo start paddr with a scheme exited $?"
S=$C/schemes/0
content_is "$C/operations" paddr
content_is "$S/action" pageout
content_is "$S/access_pattern/nr_accesses/max" 0
content_is "$S/access_pattern/age/min" 10
content_is "$S/quotas/ms" 100
content_is "$S/quotas/bytes" 1073741824
content_is "$S/quotas/reset_interval_ms" 1000
[ "$(cat "$C/targets/0/regions/nr_regions")" = 1 ] && pass "paddr: one init region (the largest System RAM)" || fail "paddr regions $(cat "$C/targets/0/regions/nr_regions")"
damo stop || fail "damo stop exited $?"
echo 9 >"$SIM/processes/$wpid/kill"
finish
