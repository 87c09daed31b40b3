#!/usr/bin/env bash
# iomem_vmstat.sh — /proc/iomem (kernel/resource.c r_show: two spaces per level, %08lx
# inclusive ranges, children inside parents, siblings ordered and disjoint; the CXL chain
# CXL Window N > regionN > daxX.Y > System RAM (kmem)) and /proc/vmstat (mm/vmstat.c: "name
# value" lines, unique names, section order, every tiering counter present).
source "$(dirname "$0")/lib.sh"

IOMEM=$PROC/iomem
VMSTAT=$PROC/vmstat
require_file "$IOMEM"

# --- /proc/iomem ---------------------------------------------------------------------------
if [ "$(id -u)" != 0 ] && ! is_simulator; then
	note "not root: /proc/iomem shows zeroed addresses; iomem checks skipped"
else
	out=$(awk '
		function hex(s,   i, c, v) { v = 0; for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; v = v * 16 + c }; return v }
		{
			match($0, /^ */); depth = RLENGTH / 2
			if (RLENGTH % 2) { print "odd indent: " $0; bad++; next }
			if ($0 !~ /^ *[0-9a-f]+-[0-9a-f]+ : .+$/) { print "bad line: " $0; bad++; next }
			split(substr($0, RLENGTH + 1), p, /[- ]/)
			if (length(p[1]) < 8 || length(p[2]) < 8) { print "not %08lx: " $0; bad++ }
			s = hex(p[1]); e = hex(p[2]); name = substr($0, index($0, " : ") + 3)
			if (s > e) { print "start > end: " $0; bad++ }
			if (depth > prev + 1) { print "indent jumps: " $0; bad++ }
			if (depth > 0 && (s < ps[depth - 1] || e > pe[depth - 1])) { print "child outside its parent: " $0; bad++ }
			if (depth <= prev && lastend[depth] != "" && s <= lastend[depth]) { print "overlaps or precedes its sibling: " $0; bad++ }
			ps[depth] = s; pe[depth] = e; lastend[depth] = e; names[depth] = name
			for (d = depth + 1; d < 8; d++) lastend[d] = ""
			prev = depth
			if (name == "System RAM (kmem)" && depth == 3 && names[0] ~ /^CXL Window [0-9]+$/ && names[1] ~ /^region[0-9]+$/ && names[2] ~ /^dax[0-9]+\.[0-9]+$/) cxl++
			if (name ~ /^Kernel (code|rodata|data|bss)$/ && names[depth - 1] == "System RAM" && !(name in kernel)) { kernel[name] = 1; nkernel++ }
			if (name ~ /^System RAM/) ram++
		}
		END {
			printf "ram=%d cxl=%d kernel=%d bad=%d\n", ram, cxl, nkernel, bad
		}' "$IOMEM")
	summary=$(tail -1 <<<"$out")
	if [[ $summary == *bad=0 ]]; then pass "iomem nesting and format ($summary)"; else printf '%s\n' "$out" | sed 's/^/# /'; fail "iomem format"; fi
	[[ $summary == ram=[1-9]* ]] || fail "no System RAM in iomem"
	[[ $summary == *kernel=4* ]] && pass "Kernel code/rodata/data/bss under System RAM" || fail "kernel image resources: $summary"
	cxl_nodes=0
	if is_simulator && have_file "$NODE/has_memory" "node sysfs"; then
		for n in $(expand_list "$(cat "$NODE/has_memory")"); do in_list "$n" "$(cat "$NODE/has_cpu")" || cxl_nodes=$((cxl_nodes + 1)); done
		[[ $summary == *cxl=$cxl_nodes\ * ]] && pass "one CXL Window > region > dax > System RAM (kmem) chain per CPU-less node ($cxl_nodes)" ||
			fail "CXL chains: $summary, CPU-less memory nodes: $cxl_nodes"
	fi
fi

# --- /proc/vmstat --------------------------------------------------------------------------
require_file "$VMSTAT"
bad=$(grep -cvE '^[a-z0-9_]+ [0-9]+$' "$VMSTAT")
[ "$bad" = 0 ] && pass "every vmstat line is 'name value'" || fail "$bad vmstat lines are not 'name value': $(grep -vE '^[a-z0-9_]+ [0-9]+$' "$VMSTAT" | head -3)"
dups=$(awk '{ print $1 }' "$VMSTAT" | sort | uniq -d)
[ -z "$dups" ] && pass "vmstat names are unique" || fail "duplicate vmstat names: $dups"

counters="numa_pte_updates numa_huge_pte_updates numa_hint_faults numa_hint_faults_local
numa_pages_migrated pgmigrate_success pgmigrate_fail pgpromote_success pgpromote_candidate
pgdemote_kswapd pgdemote_direct pgdemote_khugepaged numa_hit numa_miss numa_foreign
numa_interleave numa_local numa_other"
# nr_tlb_* exist only with CONFIG_DEBUG_TLBFLUSH, which tiersim simulates and distros leave off.
is_simulator && counters+=" nr_tlb_remote_flush nr_tlb_remote_flush_received nr_tlb_local_flush_all nr_tlb_local_flush_one"
missing=
for c in $counters; do grep -q "^$c " "$VMSTAT" || missing+=" $c"; done
[ -z "$missing" ] && pass "vmstat has every tiering counter" || fail "vmstat lacks:$missing"

# Section order: zone counters, NUMA events, node counters, dirty thresholds, vm events.
line_of() { awk -v k="$1" '$1 == k { print NR; exit }' "$VMSTAT"; }
prev_name= prev_line=0
for k in nr_free_pages numa_hit nr_inactive_anon pgpromote_success nr_dirty_threshold pgpgin numa_pte_updates pgmigrate_success; do
	l=$(line_of "$k")
	[ -n "$l" ] || { fail "vmstat has no $k"; continue; }
	[ "$l" -gt "$prev_line" ] || fail "vmstat: $k (line $l) comes before $prev_name (line $prev_line)"
	prev_name=$k prev_line=$l
done
pass "vmstat section order"

# Per-node NUMA events add up to the global ones (nothing runs between reads in virtual time).
if is_fresh && have_file "$NODE/online" "node sysfs"; then
	for k in numa_hit numa_miss numa_foreign numa_local numa_other; do
		sum=0
		for n in $(online_nodes); do
			v=$(awk -v k="$k" '$1 == k { print $2 }' "$NODE/node$n/vmstat")
			sum=$((sum + ${v:-0}))
		done
		[ "$sum" = "$(awk -v k="$k" '$1 == k { print $2 }' "$VMSTAT")" ] && pass "$k: nodes sum to /proc/vmstat ($sum)" ||
			fail "$k: nodes sum to $sum, /proc/vmstat says $(awk -v k="$k" '$1 == k { print $2 }' "$VMSTAT")"
	done
fi
finish
