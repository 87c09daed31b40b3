#!/usr/bin/env bash
# sysctl.sh — /proc/sys/kernel tiering sysctls (kernel/sysctl.c proc_dointvec_minmax):
# numa_balancing 0..4 and its EINVAL inputs, numa_balancing_promote_rate_limit_MBps (default
# 65536, 0..INT_MAX), openEuler mem_sampling_enable / numa_balancing_mem_sampling (revision A),
# and sysctl(8)'s -w / -n output formats.
#
# sysctl(8) hard-codes /proc/sys, so the files are read and written directly under the root
# prefix; sysctl itself runs against / (a real kernel) or inside `tiersim shell` (a mount).
source "$(dirname "$0")/lib.sh"

NB=$KSYSCTL/numa_balancing
require_file "$NB"

[[ $(cat "$NB") =~ ^[0-4]$ ]] && pass "numa_balancing reads $(cat "$NB")" || fail "numa_balancing reads '$(cat "$NB")'"
RL=$KSYSCTL/numa_balancing_promote_rate_limit_MBps
if [ -e "$RL" ]; then
	is_fresh && content_is "$RL" 65536
	[[ $(cat "$RL") =~ ^[0-9]+$ ]] || fail "promote rate limit reads '$(cat "$RL")'"
fi

# sysctl(8): through `tiersim shell` for a mount (root only), or directly on a real kernel.
run_sysctl() {
	if ! is_simulator; then
		sysctl "$@"
	else
		node "${TIERSIM_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}/bin/tiersim.js" shell --mount "$R" -- sysctl "$@"
	fi
}
if ! command -v sysctl >/dev/null; then
	note "no sysctl(8) here: its output formats are not checked"
elif is_simulator && [ "$(id -u)" != 0 ]; then
	note "not root: cannot enter tiersim shell to run sysctl(8)"
else
	v=$(cat "$NB")
	out=$(run_sysctl kernel.numa_balancing 2>&1)
	[ "$out" = "kernel.numa_balancing = $v" ] && pass "sysctl kernel.numa_balancing: '$out'" || fail "sysctl kernel.numa_balancing printed '$out'"
	out=$(run_sysctl -n kernel.numa_balancing 2>&1)
	[ "$out" = "$v" ] && pass "sysctl -n kernel.numa_balancing: '$out'" || fail "sysctl -n printed '$out'"
	if writes_allowed; then
		out=$(run_sysctl -w kernel.numa_balancing=2 2>&1)
		[ "$out" = "kernel.numa_balancing = 2" ] && pass "sysctl -w kernel.numa_balancing=2: '$out'" || fail "sysctl -w printed '$out'"
		content_is "$NB" 2
		out=$(run_sysctl -w kernel.numa_balancing=9 2>&1) && fail "sysctl -w kernel.numa_balancing=9 succeeded"
		[ "$out" = 'sysctl: setting key "kernel.numa_balancing": Invalid argument' ] && pass "sysctl -w =9: '$out'" || fail "sysctl -w =9 printed '$out'"
		echo "$v" >"$NB"
	fi
fi

writes_allowed || { note "writes disabled: write rules not checked"; finish; }

saved=$(cat "$NB")
for v in 0 1 2 3 4; do
	write_ok "$NB" "$v"
	content_is "$NB" "$v"
done
# proc_dointvec: base 0 (0x hex, leading 0 octal), leading whitespace skipped
write_ok "$NB" 0x3 && content_is "$NB" 3
write_ok "$NB" 01 && content_is "$NB" 1
write_ok "$NB" "  2" && content_is "$NB" 2
for bad in 5 -1 abc +1 08 2abc 2,3 "" 99999999999999999999999; do
	write_fails_with "$NB" "$bad" EINVAL
done
echo "$saved" >"$NB"

if [ -e "$RL" ]; then
	saved=$(cat "$RL")
	write_ok "$RL" 0 && content_is "$RL" 0
	write_ok "$RL" 2147483647 && content_is "$RL" 2147483647
	write_fails_with "$RL" -1 EINVAL
	write_fails_with "$RL" 2147483648 EINVAL
	write_fails_with "$RL" 1MB EINVAL
	echo "$saved" >"$RL"
fi

# openEuler revision A: both 0..1; the consumer only takes effect while sampling is on.
MSE=$KSYSCTL/mem_sampling_enable
NBMS=$KSYSCTL/numa_balancing_mem_sampling
if [ -e "$MSE" ] && [ -e "$NBMS" ]; then
	s1=$(cat "$MSE") s2=$(cat "$NBMS")
	write_fails_with "$MSE" 2 EINVAL
	write_fails_with "$MSE" -1 EINVAL
	write_fails_with "$NBMS" 2 EINVAL
	write_ok "$MSE" 0
	write_ok "$NBMS" 1
	content_is "$NBMS" 0                              # no effect while sampling is off
	write_ok "$MSE" 1
	write_ok "$NBMS" 1
	content_is "$NBMS" 1
	write_ok "$MSE" 0
	content_is "$NBMS" 0                              # turning sampling off turns the consumer off
	echo "$s1" >"$MSE"
	echo "$s2" >"$NBMS"
else
	note "no mem_sampling sysctls here (not an openEuler SPE kernel)"
fi
finish
