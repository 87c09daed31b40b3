#!/usr/bin/env bash
# damon_tiering.sh — DAMON-based tiering through /sys/kernel/mm/damon/admin on cxl-2node (issue
# 12): a hot set on the CXL node and cold data filling DRAM; one paddr kdamond with
# migrate_hot (node 1 → 0, a size quota, hot-first prioritisation) and migrate_cold (node 0 → 1,
# a node_mem_free_bp goal on node 0, i.e. DRAM used kept below 10000 − target bp). The hot set
# moves to DRAM, DRAM used stays below the goal, the top tier's share of accesses (sim/truth)
# rises, and migrate_hot's tried regions are really accessed (sim/truth/rate).
source "$(dirname "$0")/lib.sh"

require_damon_admin
[ "$(ls -d "$NODE"/node[0-9]* | wc -l)" = 2 ] || skip "needs the two-node cxl-2node machine"

# used_bp NID: (MemTotal − MemFree) × 10000 / MemTotal of the node, as damos_get_node_mem_bp.
used_bp() {
	awk '/MemTotal/ {t = $4} /MemFree/ {f = $4} END {printf "%d\n", (t - f) * 10000 / t}' "$NODE/node$1/meminfo"
}
# share NID: node NID's share of all accesses in the newest sim/truth/nodes sample.
share() { awk -v n="$1" '!/^#/ && $2 == n {s = $5} END {print s + 0}' "$SIM/truth/nodes"; }
GOAL_FREE_BP=2500 # keep DRAM used at or below 75 %

# NUMA balancing (on by default) would promote the hot set by itself: DAMON alone here.
nb=$(cat "$KSYSCTL/numa_balancing")
write_ok "$KSYSCTL/numa_balancing" 0
sim_spawn "idle size=12G node=0"
cold=$REPLY
sim_spawn "hotset size=1G node=1"
hot=$REPLY
write_ok "$SIM/advance" 2s
before_share=$(share 0)
before_used=$(used_bp 0)
note "before: DRAM used ${before_used} bp, DRAM share of accesses ${before_share}"

write_ok "$K/nr_kdamonds" 1
write_ok "$K/0/contexts/nr_contexts" 1
C=$K/0/contexts/0
write_ok "$C/operations" paddr
write_ok "$C/targets/nr_targets" 1
# Every System RAM range, DRAM and CXL (kmem), as one physical address space.
mapfile -t ram < <(grep 'System RAM' "$PROC/iomem" | sed 's/^ *//' | awk '{print $1}')
write_ok "$C/targets/0/regions/nr_regions" "${#ram[@]}"
for i in "${!ram[@]}"; do
	s=$((16#${ram[$i]%-*})); e=$((16#${ram[$i]#*-} + 1))
	write_ok "$C/targets/0/regions/$i/start" "$s"
	write_ok "$C/targets/0/regions/$i/end" "$e"
done
write_ok "$C/schemes/nr_schemes" 2
H=$C/schemes/0
D=$C/schemes/1
for S in "$H" "$D"; do for p in sz age; do write_ok "$S/access_pattern/$p/max" 18446744073709551615; done; done
write_ok "$H/action" migrate_hot
write_ok "$H/target_nid" 0
write_ok "$H/access_pattern/nr_accesses/min" 1
write_ok "$H/access_pattern/nr_accesses/max" 18446744073709551615
write_ok "$H/quotas/bytes" $((64 << 20))
write_ok "$H/quotas/reset_interval_ms" 100 # a window per apply: every apply tries up to 64 MiB
write_ok "$H/quotas/weights/nr_accesses_permil" 1000
write_ok "$H/quotas/weights/age_permil" 1000
write_ok "$D/action" migrate_cold
write_ok "$D/target_nid" 1
write_ok "$D/access_pattern/nr_accesses/max" 0
write_ok "$D/access_pattern/age/min" 10
write_ok "$D/apply_interval_us" 20000
write_ok "$D/quotas/reset_interval_ms" 20
write_ok "$D/quotas/weights/age_permil" 1000
write_ok "$D/quotas/goals/nr_goals" 1
write_ok "$D/quotas/goals/0/target_metric" node_mem_free_bp
write_ok "$D/quotas/goals/0/target_value" $GOAL_FREE_BP
write_ok "$D/quotas/goals/0/nid" 0
content_is "$D/quotas/goals/0/target_metric" node_mem_free_bp
write_ok "$K/0/refresh_ms" 500
write_ok "$K/0/state" on

max_used=0
for _ in $(seq 12); do
	write_ok "$SIM/advance" 1s >/dev/null
	u=$(used_bp 0)
	[ "$u" -gt "$max_used" ] && max_used=$u
done
write_ok "$K/0/state" update_schemes_tried_regions
# An apply can try nothing: when the last window stopped in the target's last region, the next
# apply skips every region (damos_skip_charged_region) — then look at the following one.
for _ in 1 2 3; do
	[ "$(cat "$H/tried_regions/total_bytes")" -gt 0 ] && break
	write_ok "$SIM/advance" 100ms >/dev/null
	write_ok "$K/0/state" update_schemes_tried_regions
done
after_used=$(used_bp 0)
after_share=$(share 0)
note "after 12 s: DRAM used ${after_used} bp (highest ${max_used}), DRAM share of accesses ${after_share}"
note "migrate_hot applied $(cat "$H/stats/sz_applied") B, migrate_cold $(cat "$D/stats/sz_applied") B; effective_bytes $(cat "$H/quotas/effective_bytes") / $(cat "$D/quotas/effective_bytes")"

# hotset hot=0.1: about 102 MiB of the 1 GiB take 90 % of the accesses.
[ "$(cat "$H/stats/sz_applied")" -ge $((80 << 20)) ] && pass "refresh_ms: migrate_hot's stats show the hot set promoted ($(cat "$H/stats/sz_applied") B)" || fail "migrate_hot sz_applied $(cat "$H/stats/sz_applied")"
[ "$(cat "$D/stats/sz_applied")" -gt 0 ] && pass "migrate_cold demoted $(cat "$D/stats/sz_applied") B under the goal" || fail "migrate_cold demoted nothing"
[ "$after_used" -le $((10000 - GOAL_FREE_BP)) ] && pass "DRAM used ${after_used} bp is at or below the goal's $((10000 - GOAL_FREE_BP)) bp" || fail "DRAM used ${after_used} bp above the goal $((10000 - GOAL_FREE_BP))"
awk -v a="$after_share" -v b="$before_share" 'BEGIN {exit !(a > b + 0.5)}' && pass "DRAM's share of accesses rose from $before_share to $after_share" || fail "DRAM share $before_share → $after_share"
[ "$(cat "$H/quotas/effective_bytes")" = $((64 << 20)) ] && pass "migrate_hot's effective_bytes is its size quota" || fail "effective_bytes $(cat "$H/quotas/effective_bytes")"

# migrate_hot's tried regions: within its quota, and every one really accessed (ground truth).
total=$(cat "$H/tried_regions/total_bytes")
[ "$total" -gt 0 ] && [ "$total" -le $((64 << 20)) ] && pass "tried_regions/total_bytes $total within the 64 MiB quota" || fail "tried total_bytes $total"
bad=0; n=0
for d in "$H"/tried_regions/[0-9]*; do
	[ -d "$d" ] || continue
	n=$((n + 1))
	exec 3<>"$SIM/truth/rate"
	echo "paddr $(cat "$d/start") $(cat "$d/end") 1s" >&3
	read -r _ _ rate <&3
	exec 3>&-
	awk -v r="${rate:-0}" 'BEGIN {exit !(r > 0)}' || { bad=$((bad + 1)); note "tried region $(cat "$d/start")-$(cat "$d/end") nr_accesses $(cat "$d/nr_accesses"): true rate ${rate:-none}"; }
done
[ "$n" -gt 0 ] && [ "$bad" = 0 ] && pass "all $n tried regions of migrate_hot are accessed in ground truth" || fail "$bad of $n tried regions have no true accesses"

write_ok "$K/0/state" off
echo 9 >"$SIM/processes/$hot/kill" 2>/dev/null || true
echo 9 >"$SIM/processes/$cold/kill" 2>/dev/null || true
write_ok "$K/nr_kdamonds" 0
write_ok "$KSYSCTL/numa_balancing" "$nb"
finish
