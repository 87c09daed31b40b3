#!/usr/bin/env bash
# tiers_and_demotion.sh — memory tiers (mm/memory-tiers.c, 6.1+): memory_tierN/nodelist range
# lists, disjoint, covering exactly the nodes with memory, DRAM in tier 4 and default dax/kmem
# (CXL) in tier 22; /sys/kernel/mm/numa/demotion_enabled (kstrtobool, default false).
source "$(dirname "$0")/lib.sh"

DE=$MMNUMA/demotion_enabled

if have_file "$TIERS" "kernel before 6.1"; then
	all=()
	ntiers=0
	for t in "$TIERS"/memory_tier[0-9]*; do
		[ -e "$t/nodelist" ] || continue
		ntiers=$((ntiers + 1))
		list=$(cat "$t/nodelist")
		[[ $list =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] || fail "${t##*/}/nodelist '$list' is not a non-empty range list"
		for n in $(expand_list "$list"); do
			[[ " ${all[*]} " == *" $n "* ]] && fail "node $n is in two tiers"
			all+=("$n")
		done
		note "${t##*/}: nodes $list"
	done
	[ $ntiers -gt 0 ] || fail "no memory_tierN directory in $TIERS"
	tiered=$(compress_list $(printf '%s\n' "${all[@]}" | sort -n))
	[ "$tiered" = "$(cat "$NODE/has_memory")" ] && pass "tiers cover exactly has_memory ($tiered)" ||
		fail "tiers hold nodes '$tiered' but has_memory is '$(cat "$NODE/has_memory")'"
	if is_fresh; then
		content_is "$TIERS/memory_tier4/nodelist" "$(cat "$NODE/has_cpu")"    # DRAM: adistance 576
		cxl=$(for n in $(expand_list "$(cat "$NODE/has_memory")"); do in_list "$n" "$(cat "$NODE/has_cpu")" || echo "$n"; done)
		content_is "$TIERS/memory_tier22/nodelist" "$(compress_list $cxl)"      # kmem default: 5 x 576
	fi
fi

have_file "$DE" "kernel before 5.15" || finish
case $(cat "$DE") in true | false) pass "demotion_enabled reads $(cat "$DE")" ;; *) fail "demotion_enabled reads '$(cat "$DE")'" ;; esac
is_fresh && content_is "$DE" false

writes_allowed || { note "writes disabled: demotion_enabled writes not checked"; finish; }
saved=$(cat "$DE")
# kstrtobool looks at the first character (two for on/off): yes/true/1x are true, no/false false.
for v in 1 y Y t T on yes true 1x; do
	echo 0 >"$DE"
	write_ok "$DE" "$v" && content_is "$DE" true
done
for v in 0 n N f F off no false; do
	echo 1 >"$DE"
	write_ok "$DE" "$v" && content_is "$DE" false
done
for v in 2 x o "" maybe; do
	write_fails_with "$DE" "$v" EINVAL
done
echo "$saved" >"$DE"
finish
