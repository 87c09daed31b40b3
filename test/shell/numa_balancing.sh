#!/usr/bin/env bash
# numa_balancing.sh — NUMA balancing through the files a user has: kernel.numa_balancing=2
# promotes a CXL hot set (numa_pte_updates, numa_hint_faults, pgpromote_success in /proc/vmstat
# and in the target's nodeN/vmstat, the pages in numa_maps), sim/truth/placement shows the hot
# set's top-tier share, mode 1 moves pages too, and mode 0 stops the scanner at its next pass.
# Needs a tiersim mount on a virtual clock with a CPU-less slow node 1 (cxl-2node, the default).
source "$(dirname "$0")/lib.sh"

SIM=$R/sim
NB=$KSYSCTL/numa_balancing
is_simulator && [ -e "$SIM/clock" ] || skip "no sim/ tree under ${R:-/} (not a tiersim mount)"
require_writes
[[ $(cat "$SIM/clock") == *" virtual" ]] || skip "the mount's clock is not virtual"
[ "$(cat "$NODE/has_cpu")" = 0 ] && [ -e "$NODE/node1" ] || skip "wants node 0 with CPUs and a CPU-less node 1"

vm() { awk -v k="$1" '$1 == k { print $2 }' "$PROC/vmstat"; }
nvm() { awk -v k="$2" '$1 == k { print $2 }' "$NODE/node$1/vmstat"; }
stat_of() { awk -v k="$2" '$1 == k { print $2 }' "$SIM/processes/$1/numa_balancing"; }
spawn() {
	local pid
	exec 3<>"$SIM/spawn"
	echo "$1" >&3
	read -r pid <&3
	exec 3>&-
	echo "$pid"
}
saved=$(cat "$NB")
pids=()
cleanup() {
	for p in "${pids[@]}"; do echo 9 >"$SIM/processes/$p/kill" 2>/dev/null; done
	echo "$saved" >"$NB"
}
trap cleanup EXIT

# --- memory tiering: a hot set on CXL comes up to node 0 ---------------------------------------
write_ok "$NB" 2
pte0=$(vm numa_pte_updates) hf0=$(vm numa_hint_faults) pro0=$(vm pgpromote_success) npro0=$(nvm 0 pgpromote_success)
pid=$(spawn "hotset size=256M threads=8 node=1")
pids+=("$pid")
[[ $pid =~ ^[0-9]+$ ]] || { fail "spawn answered '$pid'"; finish; }
echo 3s >"$SIM/advance"
(($(vm numa_pte_updates) > pte0)) && pass "the scanner marked PTEs (numa_pte_updates)" || fail "numa_pte_updates did not grow"
(($(vm numa_hint_faults) > hf0)) && pass "hint faults were taken (numa_hint_faults)" || fail "numa_hint_faults did not grow"
promoted=$(($(vm pgpromote_success) - pro0))
((promoted > 0)) && pass "pgpromote_success grew by $promoted" || fail "no promotion"
[ $(($(nvm 0 pgpromote_success) - npro0)) = "$promoted" ] && pass "node0/vmstat counts the promotions on the target" ||
	fail "node0/vmstat pgpromote_success grew by $(($(nvm 0 pgpromote_success) - npro0)), want $promoted"
grep -q " N0=" "$SIM/processes/$pid/numa_maps" && pass "numa_maps shows pages on node 0" || fail "numa_maps: $(cat "$SIM/processes/$pid/numa_maps")"
(($(stat_of "$pid" hint_faults) > 0)) && pass "sim/processes/$pid/numa_balancing counts its hint faults" || fail "$(cat "$SIM/processes/$pid/numa_balancing")"

# --- ground truth: the hot set's top-tier share over time ---------------------------------------
head -1 "$SIM/truth/placement" | grep -q '^# time_ms pid pages toptier_pages access_toptier hot_pages hot_toptier cold_toptier migrated_per_s$' &&
	pass "sim/truth/placement names its columns" || fail "placement header: $(head -1 "$SIM/truth/placement")"
last=$(awk -v p="$pid" '$2 == p' "$SIM/truth/placement" | tail -1)
read -r _ _ pages _ _ hot hot_top _ <<<"$last"
[ "$pages" = 65536 ] && [ "$hot" = 6554 ] && pass "the hot set is its 6554 hottest pages" || fail "placement line: $last"
awk -v h="$hot_top" 'BEGIN { exit !(h > 0.9) }' && pass "hot set top-tier share $hot_top" || fail "hot set top-tier share $hot_top"
[ "$(cat "$SIM/processes/$pid/placement" | grep -vc '^#')" -ge 3 ] && pass "the process's own placement series has a line per second" ||
	fail "sim/processes/$pid/placement: $(cat "$SIM/processes/$pid/placement")"
head -1 "$SIM/truth/nodes" | grep -q '^# time_ms nid toptier pages access_share promote_per_s demote_per_s$' && pass "sim/truth/nodes names its columns" ||
	fail "nodes header: $(head -1 "$SIM/truth/nodes")"
content_is "$SIM/truth/interval_ms" 1000
write_fails_with "$SIM/truth/interval_ms" 1s EINVAL
write_fails_with "$SIM/truth/interval_ms" -5 EINVAL

# --- mode 0 at runtime: the next scan marks nothing -----------------------------------------------
write_ok "$NB" 0
echo 1s >"$SIM/advance"
pte=$(vm numa_pte_updates)
echo 2s >"$SIM/advance"
[ "$(vm numa_pte_updates)" = "$pte" ] && pass "numa_balancing=0 stops the scanner" || fail "numa_pte_updates moved from $pte to $(vm numa_pte_updates) with balancing off"

# --- normal balancing: a CXL page moves after its second fault (two-stage filter) --------------
write_ok "$NB" 1
mig0=$(vm numa_pages_migrated)
pid2=$(spawn "hotset size=64M threads=8 node=1")
pids+=("$pid2")
echo 6s >"$SIM/advance"
(($(vm numa_pages_migrated) > mig0)) && pass "numa_balancing=1 migrates toward the faulting CPUs' node" || fail "numa_pages_migrated did not grow in mode 1"
grep -q " N0=" "$SIM/processes/$pid2/numa_maps" && pass "mode 1 moved pages to node 0" || fail "numa_maps: $(cat "$SIM/processes/$pid2/numa_maps")"
finish
