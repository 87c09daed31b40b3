#!/usr/bin/env bash
# watermarks.sh — /proc/zoneinfo (mm/vmstat.c zoneinfo_show_print: every zone of every node,
# "Node N, zone %8s", watermarks min/low/high/promo with promo-high = high-low, the node's
# counters once under its first populated zone) and the vm sysctls that set the watermarks
# (mm/page_alloc.c: vm.min_free_kbytes >= 0, vm.watermark_scale_factor 1..3000, both
# recomputing every zone's watermarks when written).
source "$(dirname "$0")/lib.sh"

ZI=$PROC/zoneinfo
VMSYS=$R/proc/sys/vm
require_file "$ZI"

out=$(awk '
	/^Node / {
		if ($0 !~ /^Node [0-9]+, zone +(DMA|DMA32|Normal|HighMem|Movable|Device)$/ || length($0) != length($1 " " $2 " zone ") + 8) { print "bad header: " $0; bad++ }
		node = $2; zones++; if (node != lastnode) { stats[node] = 0; lastnode = node }
		next
	}
	/^  per-node stats$/ { stats[node]++; next }
	/^        (min|low|high|promo) +[0-9]+$/ { w[$1] = $2; if ($1 == "promo" && (w["promo"] - w["high"] != w["high"] - w["low"] || w["low"] < w["min"])) { print "watermarks not min<=low, promo-high=high-low: " w["min"], w["low"], w["high"], w["promo"]; bad++ }; next }
	/^        protection: \([0-9]+(, [0-9]+)*\)$/ { next }
	END {
		for (n in stats) if (stats[n] != 1) { print "node " n " prints its counters " stats[n] " times"; bad++ }
		printf "zones=%d bad=%d\n", zones, bad
	}' "$ZI")
summary=$(tail -1 <<<"$out")
if [[ $summary == *bad=0 ]]; then pass "zoneinfo headers, watermarks, per-node stats ($summary)"; else printf '%s\n' "$out" | sed 's/^/# /'; fail "zoneinfo format"; fi

# Zones whose "protection:" line is the last: the unpopulated ones (present 0).
bad=$(awk '/^Node /{h=$0} /^        present +0$/{empty=1} /^        present +[1-9]/{empty=0} /protection:/{if ((getline nxt) <= 0) nxt = ""; if (empty && nxt !~ /^Node / && nxt != "") print h}' "$ZI")
[ -z "$bad" ] && pass "unpopulated zones stop after protection" || fail "unpopulated zones go on after protection: $bad"

MFK=$VMSYS/min_free_kbytes
WSF=$VMSYS/watermark_scale_factor
require_file "$MFK"
[[ $(cat "$MFK") =~ ^[0-9]+$ ]] && pass "min_free_kbytes reads $(cat "$MFK")" || fail "min_free_kbytes reads '$(cat "$MFK")'"
[[ $(cat "$WSF") =~ ^[0-9]+$ ]] && pass "watermark_scale_factor reads $(cat "$WSF")" || fail "watermark_scale_factor reads '$(cat "$WSF")'"
is_fresh && content_is "$WSF" 10
if is_simulator && [ -e "$VMSYS/swappiness" ]; then
	[[ $(cat "$VMSYS/swappiness") =~ ^[0-9]+$ ]] && pass "unmodelled vm files read through from the host" || fail "vm/swappiness reads '$(cat "$VMSYS/swappiness")'"
fi

writes_allowed || { note "writes disabled: write rules not checked"; finish; }

# The first populated zone's min watermark follows min_free_kbytes.
first_min() { awk '/^        min /{m=$2} /^  start_pfn:/{print m; exit}' "$ZI"; }
saved_mfk=$(cat "$MFK") saved_wsf=$(cat "$WSF")
write_ok "$MFK" 8192
content_is "$MFK" 8192
m1=$(first_min)
write_ok "$MFK" 0x10000
content_is "$MFK" 65536
m2=$(first_min)
[ "$m2" -gt "$m1" ] && pass "raising min_free_kbytes raises the zone min watermark ($m1 -> $m2)" || fail "zone min watermark $m1 -> $m2 after raising min_free_kbytes"
for bad in -1 abc 64k 2147483648; do write_fails_with "$MFK" "$bad" EINVAL; done
for bad in 0 3001 -1 ten; do write_fails_with "$WSF" "$bad" EINVAL; done
low_gap() { awk '/^        min /{m=$2} /^        low /{l=$2} /^  start_pfn:/{print l - m; exit}' "$ZI"; }
write_ok "$WSF" 1
g1=$(low_gap)
write_ok "$WSF" 3000
g2=$(low_gap)
[ "$g2" -gt "$g1" ] && pass "watermark_scale_factor widens the min-low gap ($g1 -> $g2)" || fail "min-low gap $g1 -> $g2 after watermark_scale_factor 1 -> 3000"
echo "$saved_mfk" >"$MFK"
echo "$saved_wsf" >"$WSF"
if is_simulator && [ -e "$VMSYS/swappiness" ]; then
	write_fails_with "$VMSYS/swappiness" 10 EACCES
fi
finish
