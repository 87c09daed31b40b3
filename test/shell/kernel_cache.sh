#!/usr/bin/env bash
# kernel_cache.sh — the host kernel caches lookups and attributes of the mount's static tree
# (DESIGN.md §3), so every place where names vanish or attributes change must still be seen at
# once by ls, test -d, stat and cat: DAMON debugfs contexts, reaped processes, a memory tier
# emptied by offlining its node's blocks, chmod through the mount, CPU hotplug and memory block
# state. Each check first warms the kernel's cache (stat, test, cat), then changes the tree and
# looks again immediately, in a tight loop.
source "$(dirname "$0")/lib.sh"

is_simulator || skip "the mount's caching is tiersim's (a real kernel has nothing to check here)"
require_writes

# gone PATH WHAT: PATH must have vanished for test -e, stat, cat and its directory's listing.
gone() {
	local bad=0
	[ -e "$1" ] && { fail "$2: test -e still finds $1"; bad=1; }
	stat "$1" >/dev/null 2>&1 && { fail "$2: stat still finds $1"; bad=1; }
	ls "${1%/*}" | grep -qx "${1##*/}" && { fail "$2: ls still lists $1"; bad=1; }
	return $bad
}
# present DIR WHAT: DIR is seen by test -d, stat and its directory's listing.
present() {
	local bad=0
	[ -d "$1" ] || { fail "$2: test -d misses $1"; bad=1; }
	stat "$1" >/dev/null 2>&1 || { fail "$2: stat misses $1"; bad=1; }
	ls "${1%/*}" | grep -qx "${1##*/}" || { fail "$2: ls misses $1"; bad=1; }
	return $bad
}

# DAMON debugfs: mk_contexts makes a directory, rm_contexts removes it.
DAMON=$DEBUGFS/damon
if [ -e "$DAMON/mk_contexts" ]; then
	bad=0
	for i in $(seq 20); do
		echo "cache$i" >"$DAMON/mk_contexts" || { fail "mk_contexts cache$i"; bad=1; break; }
		present "$DAMON/cache$i" "mk_contexts round $i" || bad=1
		cat "$DAMON/cache$i/attrs" >/dev/null || { fail "cannot read cache$i/attrs"; bad=1; }
		echo "cache$i" >"$DAMON/rm_contexts" || { fail "rm_contexts cache$i"; bad=1; break; }
		gone "$DAMON/cache$i" "rm_contexts round $i" || bad=1
		cat "$DAMON/cache$i/attrs" >/dev/null 2>&1 && { fail "cat of a removed context's attrs succeeds"; bad=1; }
		[ $bad = 0 ] || break
	done
	[ $bad = 0 ] && pass "20 DAMON contexts made and removed: each seen at once by test -d, stat, ls and cat"
else
	note "no $DAMON/mk_contexts (2020 ABI): context check skipped"
fi

# DAMON sysfs: every nr_* write recreates or removes the directories below it.
ADMIN=$R/sys/kernel/mm/damon/admin/kdamonds
if [ -e "$ADMIN/nr_kdamonds" ] && [ "$(cat "$ADMIN/nr_kdamonds")" = 0 ]; then
	bad=0
	for i in $(seq 20); do
		echo 1 >"$ADMIN/nr_kdamonds" || { fail "nr_kdamonds 1"; bad=1; break; }
		present "$ADMIN/0" "nr_kdamonds 1, round $i" || bad=1
		echo 1 >"$ADMIN/0/contexts/nr_contexts" || { fail "nr_contexts 1"; bad=1; break; }
		present "$ADMIN/0/contexts/0" "nr_contexts 1, round $i" || bad=1
		cat "$ADMIN/0/contexts/0/operations" >/dev/null || { fail "cannot read contexts/0/operations"; bad=1; }
		echo 0 >"$ADMIN/0/contexts/nr_contexts" || { fail "nr_contexts 0"; bad=1; break; }
		gone "$ADMIN/0/contexts/0" "nr_contexts 0, round $i" || bad=1
		echo 0 >"$ADMIN/nr_kdamonds" || { fail "nr_kdamonds 0"; bad=1; break; }
		gone "$ADMIN/0" "nr_kdamonds 0, round $i" || bad=1
		[ $bad = 0 ] || break
	done
	[ $bad = 0 ] && pass "20 rounds of DAMON sysfs nr_kdamonds/nr_contexts: each directory seen and gone at once"
else
	note "no idle DAMON sysfs admin tree: nr_* check skipped"
fi

# sim/processes: a spawned process appears at once; once reaped it vanishes at once.
SIM=$R/sim
if [ -e "$SIM/spawn" ]; then
	spawn_killed() {
		exec 3<>"$SIM/spawn"
		echo "idle size=4K" >&3
		read -r pid <&3
		exec 3>&-
		echo 9 >"$SIM/processes/$pid/kill"
	}
	spawn_killed
	first=$pid
	present "$SIM/processes/$first" "spawned pid $first" && pass "spawned pid $first is seen at once"
	content_is "$SIM/processes/$first/state" killed
	# The kernel's oldest finished tasks are reaped beyond MAX_FINISHED (1024) of them.
	for _ in $(seq 1024); do
		spawn_killed
		[ -d "$SIM/processes/$first" ] || break
	done
	gone "$SIM/processes/$first" "reaped pid $first" && pass "reaped pid $first vanished at once (last spawned $pid)"
	present "$SIM/processes/$pid" "pid $pid"
else
	note "no $SIM/spawn: process check skipped"
fi

# memory_tiering: offlining every block of a CPU-less node removes its tier directory.
cxl=
for n in $(online_nodes); do in_list "$n" "$(cat "$NODE/has_cpu")" || cxl=$n; done
if [ -n "$cxl" ] && [ -d "$TIERS" ]; then
	tier=
	for t in "$TIERS"/memory_tier[0-9]*; do in_list "$cxl" "$(cat "$t/nodelist")" && tier=$t; done
	for round in 1 2; do
		present "$tier" "tier of node$cxl before round $round" || break
		stat "$tier/nodelist" >/dev/null
		for b in $(node_blocks "$cxl"); do echo offline >"$MEM/memory$b/state" || fail "offline memory$b"; done
		content_is "$MEM/memory$b/state" offline
		content_is "$MEM/memory$b/online" 0
		in_list "$cxl" "$(cat "$NODE/has_memory")" && fail "node$cxl still in has_memory"
		gone "$tier" "node$cxl offline, round $round" && pass "${tier##*/} vanished at once when node$cxl went offline"
		[ -e "$tier/nodelist" ] && fail "stat of ${tier##*/}/nodelist still succeeds"
		for b in $(node_blocks "$cxl"); do echo online_movable >"$MEM/memory$b/state" || fail "online memory$b"; done
		content_is "$MEM/memory$b/state" online
		present "$tier" "node$cxl online again, round $round" && pass "${tier##*/} is back at once"
	done
else
	note "no CPU-less node or no $TIERS: tier check skipped"
fi

# chmod through the mount: stat and the kernel's permission checks see the new mode at once.
f=$MMNUMA/demotion_enabled
for mode in 400 644 444 644; do
	stat -c %a "$f" >/dev/null
	chmod "$mode" "$f" || fail "chmod $mode $f"
	[ "$(stat -c %a "$f")" = "$mode" ] && pass "stat shows mode $mode right after chmod" || fail "stat shows $(stat -c %a "$f") after chmod $mode"
done
chmod 444 "$f"
write_fails_with "$f" true EACCES # kernfs_fop_open: no write bit, root included
chmod 644 "$f"
write_ok "$f" false

# CPU hotplug: node cpulist and cpuN/online follow at once.
cpu=$(expand_list "$(cat "$NODE/node0/cpulist")" | sed -n 2p)
if [ -n "$cpu" ] && [ -e "$R/sys/devices/system/cpu/cpu$cpu/online" ]; then
	before=$(cat "$NODE/node0/cpulist")
	for _ in 1 2 3; do
		echo 0 >"$R/sys/devices/system/cpu/cpu$cpu/online" || fail "offline cpu$cpu"
		in_list "$cpu" "$(cat "$NODE/node0/cpulist")" && fail "node0/cpulist still has cpu$cpu after offlining"
		content_is "$R/sys/devices/system/cpu/cpu$cpu/online" 0
		[ -L "$NODE/node0/cpu$cpu" ] || fail "node0/cpu$cpu link vanished (offlining keeps it)"
		echo 1 >"$R/sys/devices/system/cpu/cpu$cpu/online" || fail "online cpu$cpu"
		content_is "$NODE/node0/cpulist" "$before"
	done
fi
finish
