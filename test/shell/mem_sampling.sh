#!/usr/bin/env bash
# mem_sampling.sh — openEuler's SPE mem_sampling through the mount, and the tracefs files that
# show its events. On a machine without SPE the two sysctls do not exist (ENOENT). SPE itself is
# checked on a mount of its own (arm64-2node-128c-cxl, virtual clock) unless the mount under test
# has SPE: kernel.mem_sampling_enable=1 + kernel.numa_balancing_mem_sampling=1 promote a CXL hot
# set with numa_pte_updates flat, writing 0 brings the PROT_NONE scanner back within a scan
# period, and the kmem:mm_spe_record / mm_numa_migrating events land in `trace`.
source "$(dirname "$0")/lib.sh"

is_simulator && [ -e "$R/sim/clock" ] || skip "no sim/ tree under ${R:-/} (not a tiersim mount)"
require_writes

vm() { awk -v k="$2" '$1 == k { print $2 }' "$1/proc/vmstat"; }

# --- tracefs on the mount under test -------------------------------------------------------------
T=$R/sys/kernel/tracing
require_file "$T/trace"
[ "$(cat "$T/available_events")" = $'kmem:mm_spe_record\nkmem:mm_mem_sampling_access_record\nkmem:mm_numa_migrating' ] &&
	pass "available_events lists the seed's kmem events" || fail "available_events: $(cat "$T/available_events")"
head -3 "$T/trace" | grep -q '^# entries-in-buffer/entries-written: [0-9]*/[0-9]*   #P:[0-9]*$' && pass "trace has ftrace's header" || fail "trace header: $(head -3 "$T/trace")"
content_is "$T/events/kmem/mm_spe_record/enable" 0
write_fails_with "$T/events/kmem/mm_spe_record/enable" 2 EINVAL
write_fails_with "$T/events/kmem/enable" on EINVAL
write_fails_with "$T/set_event" kmem:no_such_event EINVAL
write_ok "$T/set_event" kmem:mm_numa_migrating
content_is "$T/events/kmem/enable" X
content_is "$T/events/kmem/mm_numa_migrating/enable" 1
write_ok "$T/set_event" '!kmem:mm_numa_migrating'
content_is "$T/events/kmem/enable" 0
[ "$(cat "$R/sys/kernel/debug/tracing/available_events")" = "$(cat "$T/available_events")" ] && pass "debug/tracing is the same tree" || fail "debug/tracing differs"

# --- the sysctls exist only with SPE ------------------------------------------------------------
if [ ! -e "$KSYSCTL/mem_sampling_enable" ]; then
	for f in mem_sampling_enable numa_balancing_mem_sampling; do
		err=$(cat "$KSYSCTL/$f" 2>&1) && fail "$f is readable without SPE"
		[[ $err == *"No such file or directory"* ]] && pass "no SPE: $f is ENOENT" || fail "no SPE: cat $f said '$err'"
	done
	[ -n "${TIERSIM_REPO:-}" ] && [ -e /dev/fuse ] || { note "cannot start an SPE mount here: SPE behaviour not checked"; finish; }
	# A mount of the Arm+CXL preset, torn down on exit.
	work=$(mktemp -d -t tiersim-spe.XXXXXX)
	node "$TIERSIM_REPO/bin/tiersim.js" mount "$work/mnt" --machine arm64-2node-128c-cxl --clock virtual >"$work/log" 2>&1 &
	server=$!
	trap 'kill -TERM $server 2>/dev/null; for _ in $(seq 50); do kill -0 $server 2>/dev/null || break; sleep 0.1; done; kill -KILL $server 2>/dev/null; grep -q " $work/mnt " /proc/self/mountinfo && fusermount -uz "$work/mnt"; rm -rf "$work"' EXIT
	for _ in $(seq 300); do
		grep -q "mounted at" "$work/log" && break
		kill -0 $server 2>/dev/null || break
		sleep 0.1
	done
	grep -q "mounted at" "$work/log" || { fail "the SPE mount did not start: $(cat "$work/log")"; finish; }
	M=$work/mnt
else
	M=$R
fi

K=$M/proc/sys/kernel
content_is "$K/mem_sampling_enable" 0
content_is "$K/numa_balancing_mem_sampling" 0
write_fails_with "$K/mem_sampling_enable" 2 EINVAL
write_fails_with "$K/numa_balancing_mem_sampling" -1 EINVAL
write_ok "$K/numa_balancing_mem_sampling" 1
content_is "$K/numa_balancing_mem_sampling" 0 # no effect while sampling is off
write_ok "$K/numa_balancing" 2
write_ok "$K/mem_sampling_enable" 1
write_ok "$K/numa_balancing_mem_sampling" 1
content_is "$K/numa_balancing_mem_sampling" 1
write_ok "$M/sys/kernel/tracing/events/kmem/enable" 1
pte0=$(vm "$M" numa_pte_updates) pro0=$(vm "$M" pgpromote_success)
exec 3<>"$M/sim/spawn"
echo "hotset size=256M threads=8 node=2" >&3
read -r pid <&3
exec 3>&-
echo 3s >"$M/sim/advance"
[ "$(vm "$M" numa_pte_updates)" = "$pte0" ] && pass "SPE samples replace the scanner: numa_pte_updates flat" || fail "numa_pte_updates moved to $(vm "$M" numa_pte_updates)"
(($(vm "$M" pgpromote_success) > pro0)) && pass "samples promoted $(($(vm "$M" pgpromote_success) - pro0)) pages" || fail "no promotion from samples"
grep -q "^ *hotset-$pid *\[[0-9]\{3\}\] d\.h1\. *[0-9]*\.[0-9]\{6\}: mm_spe_record: vaddr=[0-9]* paddr=[0-9]* pid=$pid$" "$M/sys/kernel/tracing/trace" &&
	pass "trace shows mm_spe_record lines" || fail "no mm_spe_record line in trace: $(grep -v '^#' "$M/sys/kernel/tracing/trace" | head -3)"
grep -q ": mm_numa_migrating: vaddr=[0-9]* page_nid=[0-9] target_nid=-\?[0-9] migrate_success=[01]$" "$M/sys/kernel/tracing/trace" &&
	pass "trace shows mm_numa_migrating lines" || fail "no mm_numa_migrating line in trace"
echo >"$M/sys/kernel/tracing/trace"
head -3 "$M/sys/kernel/tracing/trace" | grep -q 'entries-written: 0/0 ' && pass "writing to trace clears it" || fail "trace not cleared: $(head -3 "$M/sys/kernel/tracing/trace")"
write_ok "$M/sys/kernel/tracing/events/kmem/enable" 0
write_ok "$K/numa_balancing_mem_sampling" 0
period=$(awk '$1 == "numa_scan_period_ms" { print $2 }' "$M/sim/processes/$pid/numa_balancing")
echo "$((period + 1))ms" >"$M/sim/advance"
(($(vm "$M" numa_pte_updates) > pte0)) && pass "writing 0 brings the scanner back within one scan period ($period ms)" || fail "numa_pte_updates still flat after $period ms"
write_ok "$K/mem_sampling_enable" 0
content_is "$K/numa_balancing_mem_sampling" 0
echo 9 >"$M/sim/processes/$pid/kill"
finish
