#!/usr/bin/env bash
# sim_processes.sh — the simulator's process and migration files, the way a harness drives
# them: spawn on the same fd, watch node meminfo move, migratepages through sim/migrate and
# check the batched TLB-shootdown arithmetic in /proc/vmstat, kill, and the errno rules.
# Needs a tiersim mount on a virtual clock (real kernels have no sim/ tree: skipped there).
source "$(dirname "$0")/lib.sh"

SIM=$R/sim
is_simulator && [ -e "$SIM/clock" ] || skip "no sim/ tree under ${R:-/} (not a tiersim mount)"
require_writes
[[ $(cat "$SIM/clock") == *" virtual" ]] || skip "the mount's clock is not virtual"

vm() { awk -v k="$1" '$1 == k { print $2 }' "$PROC/vmstat"; }

free1=$(node_kb 1 MemFree)
exec 3<>"$SIM/spawn"
echo "hotset size=512M node=1 threads=8" >&3
read -r pid <&3
exec 3>&-
[[ $pid =~ ^[0-9]+$ ]] && pass "spawn answered pid $pid on the same fd" || { fail "spawn answered '$pid'"; finish; }
got=$(( free1 - $(node_kb 1 MemFree) ))
[ "$got" = 524288 ] && pass "node1 MemFree fell by 512 MiB" || fail "node1 MemFree fell by $got kB, want 524288"
content_is "$SIM/processes/$pid/state" running

flush0=$(vm nr_tlb_remote_flush) recv0=$(vm nr_tlb_remote_flush_received) ok0=$(vm pgmigrate_success)
cpus=$(expand_list "$(cat "$NODE/node0/cpulist")" | wc -l)
exec 3<>"$SIM/migrate"
echo "$pid 1 0" >&3
reply=$(cat <&3)
exec 3>&-
moved=$(awk '$1 == "pages_moved" { print $2 }' <<<"$reply")
[ "$moved" = 131072 ] && pass "migrate moved 131072 pages" || fail "migrate answered: $reply"
batches=$(( (131072 + 511) / 512 ))
[ $(( $(vm nr_tlb_remote_flush) - flush0 )) = $batches ] && pass "one remote shootdown per 512-page batch ($batches)" ||
	fail "nr_tlb_remote_flush grew by $(( $(vm nr_tlb_remote_flush) - flush0 )), want $batches"
[ $(( $(vm nr_tlb_remote_flush_received) - recv0 )) = $(( batches * (cpus - 1) )) ] && pass "each shootdown reached the mm's $((cpus - 1)) other CPUs" ||
	fail "nr_tlb_remote_flush_received grew by $(( $(vm nr_tlb_remote_flush_received) - recv0 ))"
[ $(( $(vm pgmigrate_success) - ok0 )) = 131072 ] && pass "pgmigrate_success counts every page" || fail "pgmigrate_success grew by $(( $(vm pgmigrate_success) - ok0 ))"
grep -q " N0=131072 " "$SIM/processes/$pid/numa_maps" && pass "numa_maps shows every page on node 0" || fail "numa_maps: $(cat "$SIM/processes/$pid/numa_maps")"

write_fails_with "$SIM/migrate" "$pid 7 0" EINVAL
write_fails_with "$SIM/migrate" "nonsense" EINVAL
write_fails_with "$SIM/migrate_flow" "sometimes" EINVAL
write_fails_with "$SIM/advance" "tomorrow" EINVAL
write_fails_with "$SIM/spawn" "abench size=1G threads=lots" EINVAL
write_ok "$SIM/processes/$pid/kill" 9
content_is "$SIM/processes/$pid/state" killed
write_fails_with "$SIM/processes/$pid/kill" 9 ESRCH
write_fails_with "$SIM/migrate" "$pid 0 1" ESRCH
[ "$(node_kb 1 MemFree)" = "$free1" ] && pass "node1 MemFree is back after kill" || fail "node1 MemFree $(node_kb 1 MemFree), want $free1"
finish
