#!/usr/bin/env bash
# kmmscand.sh — the kmmscand RFC V0 (patch 07 sysfs group, patch 08/10 vmstat lines): the five
# /sys/kernel/mm/kmmscand knobs with their formats and errnos, then, on a simulator mount with
# a virtual clock, numa_balancing=0 + kmmscand promoting a CXL hot set to node 0 without a hint
# fault, and scan_enabled=0 stopping the promotions.
source "$(dirname "$0")/lib.sh"

K=$R/sys/kernel/mm/kmmscand
have_file "$K" "no kmmscand RFC in this kernel" || finish
vm() { awk -v k="$1" '$1 == k { print $2 }' "$PROC/vmstat"; }

for f in scan_sleep_ms mm_scan_period_ms mms_to_scan scan_enabled target_node; do
	[ "$(stat -c %a "$K/$f")" = 644 ] && pass "$f is 0644" || fail "$f mode $(stat -c %a "$K/$f")"
	[[ $(cat "$K/$f") =~ ^[0-9]+$ ]] && pass "$f reads a decimal" || fail "$f reads '$(cat "$K/$f")'"
done
for n in nr_kmmscand_mm_scans nr_kmmscand_vma_scans nr_kmmscand_migadded nr_kmmscand_migrated \
	nr_kmmscand_migrate_failed nr_kmmscand_slowtier nr_kmmscand_toptier nr_kmmscand_idlepage; do
	[ -n "$(vm $n)" ] && pass "/proc/vmstat has $n" || fail "/proc/vmstat lacks $n"
done
order=$(awk '{ print $1 }' "$PROC/vmstat" | grep -A1 -x nr_kmmscand_idlepage | tr '\n' ' ')
[ -z "$(vm kmmscand_scan_oh)" ] || [ "$order" = "nr_kmmscand_idlepage kmmscand_scan_oh " ] &&
	pass "patch 10's kmmscand_scan_oh (if built) follows nr_kmmscand_idlepage" || fail "after nr_kmmscand_idlepage: '$order'"
if is_fresh; then
	content_is "$K/scan_sleep_ms" 16
	content_is "$K/mm_scan_period_ms" 2000
	content_is "$K/mms_to_scan" 4096
	content_is "$K/target_node" 0
fi

writes_allowed || { note "writes disabled: knob writes and promotion not checked"; finish; }
saved=()
for f in scan_sleep_ms mm_scan_period_ms mms_to_scan scan_enabled target_node; do saved+=("$f=$(cat "$K/$f")"); done

write_ok "$K/scan_sleep_ms" 100 && content_is "$K/scan_sleep_ms" 100
for v in -1 0x10 4294967296 abc "5 5"; do write_fails_with "$K/scan_sleep_ms" "$v" EINVAL; done
write_ok "$K/mm_scan_period_ms" 100 && content_is "$K/mm_scan_period_ms" 400    # clamped, not refused
write_ok "$K/mm_scan_period_ms" 9999 && content_is "$K/mm_scan_period_ms" 5000
write_fails_with "$K/mm_scan_period_ms" -5 EINVAL
write_ok "$K/mms_to_scan" 18446744073709551615 && content_is "$K/mms_to_scan" 18446744073709551615
write_fails_with "$K/mms_to_scan" 18446744073709551616 EINVAL
write_fails_with "$K/scan_enabled" 2 EINVAL
write_fails_with "$K/scan_enabled" on EINVAL
top=$(head -1 < <(expand_list "$(cat "$NODE/has_cpu")"))
write_ok "$K/target_node" "$top" && content_is "$K/target_node" "$top"
for n in $(expand_list "$(cat "$NODE/has_memory")"); do
	in_list "$n" "$(cat "$NODE/has_cpu")" || write_fails_with "$K/target_node" "$n" EINVAL   # CPU-less = CXL tier
done
write_fails_with "$K/target_node" -1 EINVAL
write_fails_with "$K/target_node" 4096 EINVAL
for kv in "${saved[@]}"; do echo "${kv#*=}" >"$K/${kv%%=*}"; done

SIM=$R/sim
is_simulator && [ -e "$SIM/clock" ] && [[ $(cat "$SIM/clock") == *" virtual" ]] || { note "not a virtual-clock tiersim mount: promotion not checked"; finish; }
cxl=
for n in $(expand_list "$(cat "$NODE/has_memory")"); do in_list "$n" "$(cat "$NODE/has_cpu")" || { cxl=$n; break; }; done
[ -n "$cxl" ] || { note "no CPU-less memory node: promotion not checked"; finish; }

numab=$(cat "$KSYSCTL/numa_balancing")
echo 0 >"$KSYSCTL/numa_balancing"
echo "$top" >"$K/target_node"
echo 1 >"$K/scan_enabled"
faults0=$(vm numa_hint_faults) moved0=$(vm nr_kmmscand_migrated)
exec 3<>"$SIM/spawn"
echo "hotset size=64M threads=4 node=$cxl" >&3
read -r pid <&3
exec 3>&-
echo 1s >"$SIM/advance"
grep -q " N$top=16384 kernelpagesize_kB=4" "$SIM/processes/$pid/numa_maps" && pass "the hot set moved from node $cxl to node $top" ||
	fail "numa_maps: $(cat "$SIM/processes/$pid/numa_maps")"
[ $(( $(vm nr_kmmscand_migrated) - moved0 )) -ge 16384 ] && pass "nr_kmmscand_migrated counts the 16384 promotions" ||
	fail "nr_kmmscand_migrated grew by $(( $(vm nr_kmmscand_migrated) - moved0 ))"
[ "$(vm numa_hint_faults)" = "$faults0" ] && pass "without a single NUMA hint fault" || fail "numa_hint_faults moved"

write_ok "$K/scan_enabled" 0
echo 2s >"$SIM/advance"   # one scan period: the list being drained is finished
moved=$(vm nr_kmmscand_migrated)
exec 3<>"$SIM/spawn"
echo "hotset size=8M threads=4 node=$cxl" >&3
read -r late <&3
exec 3>&-
echo 5s >"$SIM/advance"
[ "$(vm nr_kmmscand_migrated)" = "$moved" ] && pass "scan_enabled=0: no promotion after one scan period" || fail "promotions went on"
grep -q " N$cxl=2048 " "$SIM/processes/$late/numa_maps" && pass "an mm spawned meanwhile stays on node $cxl" || fail "numa_maps: $(cat "$SIM/processes/$late/numa_maps")"
echo 9 >"$SIM/processes/$pid/kill"
echo 9 >"$SIM/processes/$late/kill"
echo "$numab" >"$KSYSCTL/numa_balancing"
for kv in "${saved[@]}"; do echo "${kv#*=}" >"$K/${kv%%=*}"; done
finish
