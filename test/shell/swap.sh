#!/usr/bin/env bash
# swap.sh — /proc/swaps (mm/swapfile.c swap_show: header, then per area its path padded to 40
# columns, type, size and used KiB, priority) and swap-in: DAMOS pageout on a running workload
# (usage.rst's pageout scheme through the sysfs front end) fills swap, and once the scheme is
# off the workload's next accesses fault its pages back (pswpin, pgmajfault), freeing slots.
source "$(dirname "$0")/lib.sh"

S=$PROC/swaps
require_file "$S"
[ "$(head -1 "$S")" = "$(printf 'Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority')" ] && pass "/proc/swaps header" || fail "/proc/swaps header: $(head -1 "$S" | od -c | head -2)"
bad=0
while IFS= read -r line; do
	[[ $line =~ ^[^\ ]+\ +(file|partition)$'\t'+[0-9]+$'\t'+[0-9]+$'\t'+-?[0-9]+$ ]] || { fail "/proc/swaps line: $(printf '%q' "$line")"; bad=1; }
done < <(tail -n +2 "$S")
[ $bad = 0 ] && pass "/proc/swaps lines are 'path type size used priority'"

require_writes
is_simulator || skip "a real kernel's swap is not exercised by this script"
SIM=$R/sim
K=$R/sys/kernel/mm/damon/admin/kdamonds
used() { awk 'NR == 2 { print $4 }' "$S"; }
vm() { awk -v k="$1" '$1 == k { print $2 }' "$PROC/vmstat"; }
[ "$(awk 'NR == 2 { print $1, $2, $5 }' "$S")" = "/swap.img file -2" ] && pass "the area is /swap.img, a file, priority -2" || fail "area: $(sed -n 2p "$S")"

exec 3<>"$SIM/spawn"
echo "abench size=16M iters=0" >&3
read -r wpid <&3
exec 3>&-
[[ $wpid =~ ^[0-9]+$ ]] || { fail "spawn answered '$wpid'"; finish; }
used0=$(used)
in0=$(vm pswpin)
maj0=$(vm pgmajfault)
write_ok "$K/nr_kdamonds" 1
write_ok "$K/0/contexts/nr_contexts" 1
C=$K/0/contexts/0
write_ok "$C/operations" vaddr
write_ok "$C/targets/nr_targets" 1
write_ok "$C/targets/0/pid_target" "$wpid"
write_ok "$C/schemes/nr_schemes" 1
write_ok "$C/schemes/0/action" pageout
for p in sz nr_accesses age; do write_ok "$C/schemes/0/access_pattern/$p/max" 18446744073709551615; done
write_ok "$K/0/state" on
write_ok "$SIM/advance" 300ms
write_ok "$K/0/state" off
used1=$(used)
[ "$used1" -gt "$used0" ] && pass "pageout filled swap: Used $used0 -> $used1 KiB" || fail "Used $used0 -> $used1 KiB after pageout"
[ "$(vm pswpout)" -gt 0 ] && pass "pswpout $(vm pswpout)" || fail "pswpout $(vm pswpout)"
write_ok "$SIM/advance" 200ms
in1=$(vm pswpin)
[ "$in1" -gt "$in0" ] && pass "the workload swapped pages back in: pswpin $in0 -> $in1" || fail "pswpin $in0 -> $in1"
[ $(($(vm pgmajfault) - maj0)) = $((in1 - in0)) ] && pass "each swap-in is a major fault" || fail "pgmajfault +$(($(vm pgmajfault) - maj0)) for pswpin +$((in1 - in0))"
[ "$(used)" -lt "$used1" ] && pass "swapped-in pages free their slots: Used $used1 -> $(used) KiB" || fail "Used $used1 -> $(used) KiB after swap-in"
echo 9 >"$SIM/processes/$wpid/kill"
[ "$(used)" = "$used0" ] && pass "the process's exit frees its slots" || fail "Used $(used) KiB after exit (was $used0)"
write_ok "$K/nr_kdamonds" 0
finish
