#!/usr/bin/env bash
# memory_blocks.sh — /sys/devices/system/memory (drivers/base/memory.c): block_size_bytes in
# hex without 0x, phys_index "%08lx", node links, and the state file: offline/online round trip
# moving MemTotal by one block, same-state EINVAL, unknown keyword EINVAL, unmovable block EBUSY.
source "$(dirname "$0")/lib.sh"

require_file "$MEM/block_size_bytes"

read_file "$MEM/block_size_bytes"
if [[ $REPLY =~ ^[0-9a-f]+$'\n'$ ]]; then
	bs=$((16#${REPLY%$'\n'}))
	((bs > 0 && (bs & (bs - 1)) == 0)) && pass "block_size_bytes $(printf '%q' "$REPLY") = $bs bytes" ||
		fail "block_size_bytes $bs is not a power of two"
else
	fail "block_size_bytes is not lowercase hex without 0x: $(printf '%q' "$REPLY")"
	finish
fi
is_fresh && content_is "$MEM/block_size_bytes" 8000000       # cxl-2node: 128 MiB
if [ -e "$MEM/auto_online_blocks" ]; then
	case $(cat "$MEM/auto_online_blocks") in
	offline | online | online_kernel | online_movable) pass "auto_online_blocks is $(cat "$MEM/auto_online_blocks")" ;;
	*) fail "auto_online_blocks reads '$(cat "$MEM/auto_online_blocks")'" ;;
	esac
fi

nblocks=0 bad=0
for d in "$MEM"/memory[0-9]*; do
	m=${d##*memory}
	nblocks=$((nblocks + 1))
	[ "$(cat "$d/phys_index")" = "$(printf '%08x' "$m")" ] || { fail "memory$m/phys_index is $(cat "$d/phys_index"), want $(printf '%08x' "$m")"; bad=1; }
	state=$(cat "$d/state")
	case $state in
	online) [ "$(cat "$d/online")" = 1 ] || { fail "memory$m online but online=$(cat "$d/online")"; bad=1; } ;;
	offline) [ "$(cat "$d/online")" = 0 ] || { fail "memory$m offline but online=$(cat "$d/online")"; bad=1; } ;;
	*) fail "memory$m/state is '$state'"; bad=1 ;;
	esac
	[[ $(cat "$d/valid_zones") =~ ^(none|DMA|DMA32|Normal|Movable)(\ (DMA32|Normal|Movable))*$ ]] || { fail "memory$m/valid_zones '$(cat "$d/valid_zones")'"; bad=1; }
	links=("$d"/node[0-9]*)
	if [ ${#links[@]} -ne 1 ] || [ ! -L "${links[0]}" ]; then
		fail "memory$m has ${#links[@]} node links"
		bad=1
		continue
	fi
	n=${links[0]##*/node}
	[ "$(readlink "${links[0]}")" = "../../node/node$n" ] || { fail "memory$m/node$n -> $(readlink "${links[0]}")"; bad=1; }
	[ "$(readlink "$NODE/node$n/memory$m")" = "../../memory/memory$m" ] || { fail "node$n has no memory$m link back"; bad=1; }
done
[ $bad = 0 ] && pass "$nblocks memory blocks: phys_index, state/online, valid_zones, node links"
if [ -e "$MEM/memory0/phys_device" ]; then
	[ "$(cat "$MEM/memory0/phys_device")" = 0 ] && pass "memory0/phys_device is 0" || fail "memory0/phys_device is $(cat "$MEM/memory0/phys_device")"
fi

# Per node, blocks x block size = the memory the node has when all its blocks are online.
for n in $(online_nodes); do
	blocks=$(node_blocks "$n" | wc -l)
	note "node$n: $blocks blocks = $((blocks * bs / 1048576)) MiB, MemTotal $(node_kb "$n" MemTotal) kB"
	if is_fresh; then
		[ $((blocks * bs)) = $((16 << 30)) ] && pass "node$n has 16 GiB of blocks (cxl-2node)" ||
			fail "node$n has $((blocks * bs)) bytes of blocks, want 16 GiB"
	fi
done

writes_allowed || { note "writes disabled: state transitions not checked"; finish; }

# A block of a CPU-less node (CXL, ZONE_MOVABLE) offlines; the highest block of the last node otherwise.
target_node=
for n in $(online_nodes); do in_list "$n" "$(cat "$NODE/has_cpu")" || target_node=$n; done
[ -n "$target_node" ] || target_node=$(online_nodes | tail -1)
blk=$(node_blocks "$target_node" | tail -1)
state=$MEM/memory$blk/state
note "offline/online round trip on memory$blk (node$target_node)"
content_is "$state" online
t0=$(node_kb "$target_node" MemTotal)
s0=$(meminfo_kb MemTotal)
write_fails_with "$state" online EINVAL             # already online
write_fails_with "$state" sleepy EINVAL             # unknown keyword
write_ok "$state" offline
content_is "$state" offline
content_is "$MEM/memory$blk/online" 0
[ $((t0 - $(node_kb "$target_node" MemTotal))) = $((bs / 1024)) ] && pass "node$target_node MemTotal dropped by $((bs / 1024)) kB" ||
	fail "node$target_node MemTotal went from $t0 to $(node_kb "$target_node" MemTotal) kB, want -$((bs / 1024))"
[ $((s0 - $(meminfo_kb MemTotal))) = $((bs / 1024)) ] && pass "/proc/meminfo MemTotal dropped by $((bs / 1024)) kB" ||
	fail "/proc/meminfo MemTotal went from $s0 to $(meminfo_kb MemTotal) kB"
write_fails_with "$state" offline EINVAL            # already offline
write_ok "$state" online
content_is "$state" online
[ "$(node_kb "$target_node" MemTotal)" = "$t0" ] && pass "node$target_node MemTotal restored" || fail "node$target_node MemTotal is $(node_kb "$target_node" MemTotal), not $t0"
[ "$(meminfo_kb MemTotal)" = "$s0" ] && pass "/proc/meminfo MemTotal restored" || fail "/proc/meminfo MemTotal is $(meminfo_kb MemTotal), not $s0"

# The block holding the kernel image has unmovable pages: offlining it is EBUSY.
kcode=$(sed -n 's/^ *\([0-9a-f]*\)-[0-9a-f]* : Kernel code$/\1/p' "$PROC/iomem" | head -1)
if [ -n "$kcode" ]; then
	kblk=$(($((16#$kcode)) / bs))
	write_fails_with "$MEM/memory$kblk/state" offline EBUSY
	content_is "$MEM/memory$kblk/state" online
else
	note "no 'Kernel code' in $PROC/iomem: EBUSY not checked"
fi
finish
