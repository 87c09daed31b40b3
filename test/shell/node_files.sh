#!/usr/bin/env bash
# node_files.sh — /sys/devices/system/node: range-list formats of possible/online/has_*,
# per-node cpulist/cpumap/distance/meminfo layout (drivers/base/node.c), and the 2019
# nodeN/migration_path rules (default -1, negative -> -1, every cycle and unknown node EINVAL).
source "$(dirname "$0")/lib.sh"

require_file "$NODE/online"

LIST_RE='^([0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*)?$'

# A range list: one line, canonical (ascending, merged runs), as bitmap_print_to_pagebuf prints.
check_list_file() {
	local f=$1
	read_file "$f" || { fail "cannot read $f"; return; }
	case $REPLY in *$'\n') ;; *) fail "$f does not end with a newline"; return ;; esac
	local body=${REPLY%$'\n'}
	if [[ $body == *$'\n'* ]] || ! [[ $body =~ $LIST_RE ]]; then
		fail "$f is not a range list: '$body'"
		return
	fi
	local canonical
	canonical=$(compress_list $(expand_list "$body" | sort -n | uniq))
	[ "$canonical" = "$body" ] || { fail "$f: '$body' is not canonical (want '$canonical')"; return; }
	pass "$f is a range list: '$body'"
}

for f in possible online has_cpu has_memory has_normal_memory; do check_list_file "$NODE/$f"; done
[ -e "$NODE/has_generic_initiator" ] && check_list_file "$NODE/has_generic_initiator"

online=$(cat "$NODE/online")
for n in $(online_nodes); do in_list "$n" "$(cat "$NODE/possible")" || fail "online node $n is not possible"; done
for f in has_cpu has_memory has_normal_memory; do
	for n in $(expand_list "$(cat "$NODE/$f")"); do in_list "$n" "$online" || fail "$f: node $n is not online"; done
done
for n in $(expand_list "$(cat "$NODE/has_normal_memory")"); do
	in_list "$n" "$(cat "$NODE/has_memory")" || fail "has_normal_memory node $n is not in has_memory"
done

nodes=($(online_nodes))
for n in "${nodes[@]}"; do
	d=$NODE/node$n
	[ -d "$d" ] || { fail "online node $n has no $d"; continue; }

	check_list_file "$d/cpulist"
	read_file "$d/cpumap"
	if [[ $REPLY =~ ^[0-9a-f]{1,8}(,[0-9a-f]{8})*$'\n'$ ]]; then
		cpus=$(hex_to_list "${REPLY%$'\n'}")
		[ "$cpus" = "$(cat "$d/cpulist")" ] && pass "node$n cpumap matches cpulist '$cpus'" ||
			fail "node$n cpumap $REPLY is CPUs '$cpus' but cpulist is '$(cat "$d/cpulist")'"
	else
		fail "node$n cpumap is not a hex mask with a comma every 8 digits: '$REPLY'"
	fi
	has_cpu=0
	[ -n "$(cat "$d/cpulist")" ] && has_cpu=1
	in_list "$n" "$(cat "$NODE/has_cpu")" && listed=1 || listed=0
	[ $has_cpu = $listed ] || fail "node$n: cpulist '$(cat "$d/cpulist")' disagrees with has_cpu '$(cat "$NODE/has_cpu")'"

	# distance: one entry per online node, 10 to itself, more to every other node
	read -r -a dist <"$d/distance"
	if [ ${#dist[@]} -ne ${#nodes[@]} ]; then
		fail "node$n distance has ${#dist[@]} entries for ${#nodes[@]} online nodes"
	else
		for i in "${!nodes[@]}"; do
			if [ "${nodes[i]}" = "$n" ]; then [ "${dist[i]}" = 10 ] || fail "node$n distance to itself is ${dist[i]}, not 10"
			else [ "${dist[i]}" -gt 10 ] || fail "node$n distance to node${nodes[i]} is ${dist[i]}"; fi
		done
		pass "node$n distance '${dist[*]}'"
	fi

	# meminfo: "Node N " + label padded to 16 + %8lu + " kB"; hugetlb lines: label padded to 17 + %5u
	bad=0
	while IFS= read -r line; do
		if [[ $line =~ ^Node\ $n\ ([A-Za-z_()]+:)\ +([0-9]+)\ kB$ ]]; then
			want=$(printf 'Node %d %-16s%8s kB' "$n" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
		elif [[ $line =~ ^Node\ $n\ (HugePages_[A-Za-z]+:)\ +([0-9]+)$ ]]; then
			want=$(printf 'Node %d %-17s%5s' "$n" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}")
		else
			want="<a meminfo line>"
		fi
		[ "$line" = "$want" ] || { fail "node$n meminfo line '$line' (want '$want')"; bad=1; }
	done <"$d/meminfo"
	first3=$(awk '{ print $3 }' "$d/meminfo" | head -3 | tr '\n' ' ')
	[ "$first3" = "MemTotal: MemFree: MemUsed: " ] || { fail "node$n meminfo starts with $first3"; bad=1; }
	total=$(node_kb "$n" MemTotal) free=$(node_kb "$n" MemFree) used=$(node_kb "$n" MemUsed)
	[ $((total - free)) = "$used" ] || { fail "node$n MemUsed $used != MemTotal $total - MemFree $free"; bad=1; }
	[ $bad = 0 ] && pass "node$n meminfo layout"
	has_mem=0
	[ "$total" -gt 0 ] && has_mem=1
	in_list "$n" "$(cat "$NODE/has_memory")" && listed=1 || listed=0
	[ $has_mem = $listed ] || fail "node$n MemTotal $total kB disagrees with has_memory '$(cat "$NODE/has_memory")'"

	# numastat: exactly the six counters, in order
	names=$(awk '{ print $1 }' "$d/numastat" | tr '\n' ' ')
	[ "$names" = "numa_hit numa_miss numa_foreign interleave_hit local_node other_node " ] &&
		pass "node$n numastat names" || fail "node$n numastat names: $names"
done

# --- migration_path (2019 patch, never merged: absent on real kernels) ---------------------
mp() { echo "$NODE/node$1/migration_path"; }
if [ ! -e "$(mp "${nodes[0]}")" ]; then
	note "no nodeN/migration_path here (a mainline kernel): skipping its checks"
	finish
fi
for n in "${nodes[@]}"; do
	is_fresh && content_is "$(mp "$n")" -1
	[[ $(cat "$(mp "$n")") =~ ^-?[0-9]+$ ]] || fail "node$n migration_path is not a number"
done
if ! writes_allowed; then
	note "writes disabled: migration_path write rules not checked"
	finish
fi
if [ ${#nodes[@]} -lt 2 ]; then
	note "fewer than 2 online nodes: migration_path write rules not checked"
	finish
fi
a=${nodes[0]} b=${nodes[1]}
saved=()
for n in "${nodes[@]}"; do saved[n]=$(cat "$(mp "$n")"); done
for n in "${nodes[@]}"; do write_ok "$(mp "$n")" -1; done

write_ok "$(mp "$a")" -5
content_is "$(mp "$a")" -1                         # negative -> terminal, stored as -1
write_fails_with "$(mp "$a")" "$a" EINVAL           # self-loop
write_ok "$(mp "$a")" "$b"
content_is "$(mp "$a")" "$b"
write_fails_with "$(mp "$b")" "$a" EINVAL           # 2-cycle back to the writer
write_fails_with "$(mp "$b")" "$b" EINVAL           # self-loop on the chain's end
if [ ${#nodes[@]} -ge 3 ]; then
	c=${nodes[2]}
	write_ok "$(mp "$b")" "$c"
	write_fails_with "$(mp "$c")" "$a" EINVAL       # 3-cycle
	write_ok "$(mp "$b")" -1
fi
write_fails_with "$(mp "$a")" 1024 EINVAL           # >= MAX_NUMNODES
write_fails_with "$(mp "$a")" 99 EINVAL             # not an online node
write_fails_with "$(mp "$a")" abc EINVAL            # not a number
write_fails_with "$(mp "$a")" "$b"x EINVAL          # trailing junk
write_ok "$(mp "$a")" -1
content_is "$(mp "$a")" -1

for n in "${nodes[@]}"; do echo -1 >"$(mp "$n")"; done
for n in "${nodes[@]}"; do [ "${saved[n]}" = -1 ] || echo "${saved[n]}" >"$(mp "$n")" 2>/dev/null; done
finish
