#!/usr/bin/env bash
# damon_record.sh — a paddr record session with the debugfs files alone (pids, init_regions,
# record, monitor_on), then the record file checked like the 2020 selftest's _chk_record.py:
# every snapshot's regions inside the init region, nr_regions <= max, nr_accesses <= aggr/sample,
# snapshots one aggregation interval apart (within 15 %). On tiersim, time advances through
# sim/advance; elsewhere the script sleeps.
source "$(dirname "$0")/lib.sh"

D=$DEBUGFS/damon
require_file "$D/record"
require_writes
[ "$(cat "$D/monitor_on")" = off ] || skip "DAMON is running"
[ -n "${TIERSIM_REPO:-}" ] || skip "TIERSIM_REPO is not set (run through run.sh): the checker uses the damo port"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
orig_attrs=$(cat "$D/attrs") orig_record=$(cat "$D/record")
TF=$D/pids
[ -e "$TF" ] || TF=$D/target_ids

# A busy workload on the simulator, so there is something to see.
if [ -e "$R/sim/spawn" ]; then
	exec 3<>"$R/sim/spawn"; echo "hotset size=256M threads=8 node=1" >&3; read -r pid <&3; exec 3>&-
fi
# The region: the largest System RAM range, as damo picks by default.
start= end= best=0
while IFS= read -r line; do
	[[ $line =~ ^\ *([0-9a-f]+)-([0-9a-f]+)\ :\ System\ RAM ]] || continue
	s=$((16#${BASH_REMATCH[1]})) e=$((16#${BASH_REMATCH[2]} + 1))
	((e - s > best)) && best=$((e - s)) start=$s end=$e
done <"$PROC/iomem"
[ -n "$start" ] || { fail "no System RAM in $PROC/iomem"; finish; }

write_ok "$D/attrs" "5000 100000 1000000 10 1000"
write_ok "$TF" paddr
write_ok "$D/init_regions" "$(cat "$TF") $start $end"
write_ok "$D/record" "4096 $out/damon.data"
write_ok "$D/monitor_on" on
if [ -e "$R/sim/advance" ]; then echo 3s >"$R/sim/advance"; else sleep 3; fi
write_ok "$D/monitor_on" off
wait_until 5 test -s "$out/damon.data" && pass "the record file exists once monitor_on reads off" || { fail "no record file at $out/damon.data"; finish; }
write_ok "$D/attrs" "$orig_attrs"
write_ok "$D/record" "$orig_record"
[ -n "${pid:-}" ] && echo 9 >"$R/sim/processes/$pid/kill"

node "$TIERSIM_REPO/bin/damo.js" report raw -i "$out/damon.data" >"$out/raw.txt" || { fail "damo report raw failed on the record file"; finish; }
# The checker: bash arithmetic over `damo report raw` (mawk has no hex parsing).
snapshots=0 hot=0 bad=0 prev=
while IFS= read -r line; do
	case $line in
	"rel time: "*)
		t=${line#rel time: }
		if [ -n "$prev" ]; then
			d=$((t - prev))
			((d * 100 < 85 * 100000000 || d * 100 > 115 * 100000000)) && { note "snapshots $d ns apart"; bad=1; }
		fi
		prev=$t snapshots=$((snapshots + 1)) ;;
	"nr_regions: "*)
		n=${line#nr_regions: }
		((n < 1 || n > 1000)) && { note "nr_regions $n"; bad=1; } ;;
	[0-9a-f]*-*)
		[[ $line =~ ^([0-9a-f]+)-([0-9a-f]+)\(.*\):.([0-9]+)$ ]] || { note "unparsed line: $line"; bad=1; continue; }
		s=$((16#${BASH_REMATCH[1]})) e=$((16#${BASH_REMATCH[2]})) acc=${BASH_REMATCH[3]}
		((s < start || e > end || s >= e)) && { note "region $s-$e outside [$start, $end)"; bad=1; }
		((acc > 20)) && { note "nr_accesses $acc > 20"; bad=1; }
		((acc > hot)) && hot=$acc ;;
	esac
done <"$out/raw.txt"
[ "$bad" = 0 ] && pass "$snapshots snapshots: regions inside the init region, nr_regions <= 1000, nr_accesses <= 20, one aggregation apart" || fail "the record file broke a kernel bound"
((snapshots >= 25)) && pass "3 s at 100 ms aggregation gave $snapshots snapshots" || fail "only $snapshots snapshots in 3 s"
if [ -n "${pid:-}" ]; then ((hot >= 10)) && pass "the workload's hot set shows (max nr_accesses $hot)" || fail "max nr_accesses is $hot"; fi
finish
