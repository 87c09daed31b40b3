#!/usr/bin/env bash
# kswapd_demotion.sh — memory pressure through the files, the way a tiering experiment drives it:
# fill node 0 with a cold workload down to its low watermark (read from /proc/zoneinfo), start
# a hot one on node 0, and watch the allocator spill to node 1 at low, kswapd0 wake and demote
# the cold pages (pgdemote_kswapd in /proc/vmstat and node0/vmstat, its CPU time in
# sim/kthreads) while the hot pages stay; then the same with the 2019 migration_path opt-in
# instead of demotion_enabled. Needs a tiersim mount on a virtual clock with writes allowed.
source "$(dirname "$0")/lib.sh"

SIM=$R/sim
is_simulator && [ -e "$SIM/clock" ] || skip "no sim/ tree under ${R:-/} (not a tiersim mount)"
require_writes
[[ $(cat "$SIM/clock") == *" virtual" ]] || skip "the mount's clock is not virtual"
ZI=$PROC/zoneinfo
DE=$MMNUMA/demotion_enabled
MP=$NODE/node0/migration_path
require_file "$ZI"
require_file "$DE"

vm() { awk -v k="$1" '$1 == k { print $2 }' "$PROC/vmstat"; }
nvm() { awk -v k="$2" '$1 == k { print $2 }' "$NODE/node$1/vmstat"; }
spawn() {
	exec 3<>"$SIM/spawn"
	echo "$1" >&3
	read -r REPLY <&3
	exec 3>&-
}
resident() { grep -o " N$2=[0-9]*" "$SIM/processes/$1/numa_maps" | cut -d= -f2; }
# Pages node 0 hands out before every zone is at low + its reserve against movable requests.
room0() {
	awk '/^Node /{ node = $2 + 0 }
		node == 0 && $1 == "pages" && $2 == "free" { free = $3 }
		node == 0 && $1 == "low" { low = $2 }
		node == 0 && $1 == "protection:" { gsub(/[(),]/, " "); p = $5; h = free - low - p; if (h > 0) room += h }
		END { print room + 0 }' "$ZI"
}
# A cold fill leaving `slack` pages above low once its page tables (n/512 + n/512² + 2) are taken.
cold_size_kb() {
	local room=$(( $(room0) - $1 )) n
	n=$(( (room - 2) * 512 / 513 ))
	echo $(( n * 4 ))
}
min0() { awk '/^Node /{ node = $2 + 0 } node == 0 && $1 == "min" { m += $2 } END { print m }' "$ZI"; }

pressure_round() { # $1: what opts in to demotion
	local cold hot before on0 demoted
	before=$(nvm 0 pgdemote_kswapd)
	spawn "idle size=$(cold_size_kb 500)K node=0"
	cold=$REPLY
	[[ $cold =~ ^[0-9]+$ ]] || { fail "cold spawn answered '$cold'"; return; }
	[ "$(node_kb 0 MemFree)" -gt $(( $(min0) * 4 )) ] && pass "$1: node 0 stays above its min watermarks after the cold fill" || fail "$1: node 0 MemFree $(node_kb 0 MemFree) kB is at min"
	spawn "hotset size=256M hot=1 share=1 node=0"
	hot=$REPLY
	[ "$(resident "$hot" 1)" -gt 0 ] && pass "$1: the hot workload spilled $(resident "$hot" 1) pages to node 1 at low" || fail "$1: nothing spilled: $(cat "$SIM/processes/$hot/numa_maps")"
	on0=$(resident "$hot" 0)
	echo 3s >"$SIM/advance"
	demoted=$(( $(nvm 0 pgdemote_kswapd) - before ))
	[ "$demoted" -gt 0 ] && pass "$1: kswapd0 demoted $demoted cold pages (node0/vmstat pgdemote_kswapd)" || fail "$1: no pgdemote_kswapd on node 0"
	[ "$(resident "$cold" 1)" = "$demoted" ] && pass "$1: the cold workload's pages are on node 1" || fail "$1: cold workload has $(resident "$cold" 1) pages on node 1, want $demoted"
	[ "$(resident "$hot" 0)" = "$on0" ] && pass "$1: the hot pages on node 0 stayed ($on0)" || fail "$1: hot pages on node 0 went $on0 -> $(resident "$hot" 0)"
	echo 9 >"$SIM/processes/$cold/kill"
	echo 9 >"$SIM/processes/$hot/kill"
}

saved_de=$(cat "$DE")
# NUMA balancing (on by default) would promote the hot pages that spilled to node 1 back.
NB=$KSYSCTL/numa_balancing
saved_nb=$(cat "$NB")
echo 0 >"$NB"
echo 1 >"$DE"
pressure_round demotion_enabled
[ "$(vm pgdemote_kswapd)" -gt 0 ] && pass "/proc/vmstat pgdemote_kswapd $(vm pgdemote_kswapd)" || fail "/proc/vmstat pgdemote_kswapd is 0"
[ "$(vm pgscan_kswapd)" -ge "$(vm pgsteal_kswapd)" ] && [ "$(vm pgsteal_kswapd)" -ge "$(vm pgdemote_kswapd)" ] &&
	pass "pgscan_kswapd >= pgsteal_kswapd >= pgdemote_kswapd" || fail "pgscan/pgsteal/pgdemote: $(vm pgscan_kswapd) $(vm pgsteal_kswapd) $(vm pgdemote_kswapd)"
[ "$(vm pageoutrun)" -gt 0 ] && pass "pageoutrun $(vm pageoutrun)" || fail "pageoutrun is 0"
if [[ $(cat "$SIM/kthreads") =~ kswapd0\ [RS]\ ([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
	pass "sim/kthreads: kswapd0 used ${BASH_REMATCH[1]} ns of CPU"
else
	fail "sim/kthreads: $(cat "$SIM/kthreads")"
fi

if [ -e "$MP" ]; then
	echo 0 >"$DE"
	saved_mp=$(cat "$MP")
	write_ok "$MP" 1
	pressure_round "migration_path 0->1"
	echo "$saved_mp" >"$MP"
fi
echo "$saved_de" >"$DE"
echo "$saved_nb" >"$NB"
finish
