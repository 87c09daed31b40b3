#!/usr/bin/env bash
# damo.sh — the damo port end to end through files only: `damo record paddr` for 5 s of
# (simulated) time, `damo report wss` sane, `damo report heats --heatmap` draws only an image,
# `damo status` and `damo pa_layout` read the kernel's files. The port takes --root, so this
# runs against a tiersim mount or a real kernel with the same interfaces.
source "$(dirname "$0")/lib.sh"

require_file "$DEBUGFS/damon/record"
require_writes
[ -n "${TIERSIM_REPO:-}" ] || skip "TIERSIM_REPO is not set (run through run.sh)"
[ "$(cat "$DEBUGFS/damon/monitor_on")" = off ] || skip "DAMON is running"
damo() { node "$TIERSIM_REPO/bin/damo.js" --root "${R:-/}" "$@"; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$out" || exit 1
if [ -e "$R/sim/spawn" ]; then
	exec 3<>"$R/sim/spawn"; echo "hotset size=512M threads=8 node=1" >&3; read -r pid <&3; exec 3>&-
fi
orig_attrs=$(cat "$DEBUGFS/damon/attrs") orig_record=$(cat "$DEBUGFS/damon/record")

# Not through the function: $! must be node itself (a backgrounded function is a subshell).
node "$TIERSIM_REPO/bin/damo.js" --root "${R:-/}" record paddr -o "$out/damon.data" >"$out/record.log" 2>&1 &
rec=$!
wait_until 10 grep -q 'Press Ctrl+C' "$out/record.log" || { fail "damo record did not start: $(cat "$out/record.log")"; finish; }
content_is "$DEBUGFS/damon/monitor_on" on
if [ -e "$R/sim/advance" ]; then echo 5s >"$R/sim/advance"; else sleep 5; fi
# SIGTERM: a non-interactive shell starts background jobs with SIGINT ignored.
kill -TERM $rec
wait $rec && pass "damo record stopped cleanly on SIGTERM" || fail "damo record exited $?: $(cat "$out/record.log")"
content_is "$DEBUGFS/damon/monitor_on" off
content_is "$DEBUGFS/damon/attrs" "$orig_attrs"
content_is "$DEBUGFS/damon/record" "$orig_record"
grep -q '^# recorded [0-9]* snapshots' "$out/record.log" && pass "$(grep '^# recorded' "$out/record.log")" || fail "no summary: $(cat "$out/record.log")"
[ "$(stat -c %a "$out/damon.data")" = 600 ] && pass "damon.data is 0600 as damo leaves it" || fail "damon.data mode $(stat -c %a "$out/damon.data")"

damo report wss -i "$out/damon.data" >"$out/wss.txt" || fail "damo report wss failed"
awk '/^[0-9]+\t[0-9]+$/ { if ($2 < prev) bad = 1; prev = $2; n++ } END { exit !(n == 5 && !bad && prev > 0) }' "$out/wss.txt" &&
	pass "report wss: five percentiles, non-decreasing, largest $(tail -1 "$out/wss.txt" | cut -f2) bytes" || fail "report wss: $(cat "$out/wss.txt")"
damo report heats -i "$out/damon.data" --tres 50 --ares 50 >"$out/heats.txt" || fail "damo report heats failed"
[ "$(wc -l <"$out/heats.txt")" = 2500 ] && pass "report heats printed a 50x50 grid" || fail "report heats printed $(wc -l <"$out/heats.txt") lines"
# With --heatmap, damo writes only the image (its text went to gnuplot).
damo report heats -i "$out/damon.data" --resol 50 50 --heatmap "$out/heat.png" >"$out/heatmap.txt" || fail "damo report heats --heatmap failed"
[ "$(head -c 8 "$out/heat.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ ! -s "$out/heatmap.txt" ] && pass "heatmap written as a PNG image, nothing on stdout" || fail "heat.png is not a PNG, or stdout had $(wc -l <"$out/heatmap.txt") lines"
damo status >"$out/status.json" && grep -q '"monitor_on": "off\\n"' "$out/status.json" && pass "damo status dumps the damon directory" || fail "damo status: $(head -5 "$out/status.json")"
damo pa_layout | grep -q '^Default paddr monitoring range: ' && pass "damo pa_layout prints the layout" || fail "damo pa_layout failed"
[ -n "${pid:-}" ] && echo 9 >"$R/sim/processes/$pid/kill"

# damo schemes: page out what stays idle for 500 ms, on an idle simulated process.
if [ -e "$R/sim/spawn" ]; then
	exec 3<>"$R/sim/spawn"; echo "idle size=64M node=0" >&3; read -r idle <&3; exec 3>&-
	free0=$(node_kb 0 MemFree)
	printf '# size  size  freq  freq  age    age  action\nmin     max   min   min   500ms  max  pageout\n' >"$out/schemes.txt"
	node "$TIERSIM_REPO/bin/damo.js" --root "$R" schemes "$out/schemes.txt" "$idle" >"$out/schemes.log" 2>&1 &
	sch=$!
	wait_until 10 grep -q 'Press Ctrl+C' "$out/schemes.log" || fail "damo schemes did not start: $(cat "$out/schemes.log")"
	[[ $(cat "$DEBUGFS/damon/schemes") =~ ^0\ 18446744073709551615\ 0\ 0\ 5\ 4294967295\ 2 ]] && pass "damo schemes wrote the converted scheme" || fail "schemes reads '$(cat "$DEBUGFS/damon/schemes")'"
	echo 3s >"$R/sim/advance"
	kill -TERM $sch
	wait $sch || fail "damo schemes exited $?"
	got=$(( $(node_kb 0 MemFree) - free0 ))
	[ "$got" = 65536 ] && pass "pageout freed the idle 64 MiB (MemFree +$got kB)" || fail "MemFree moved by $got kB, want 65536"
	is_empty "$DEBUGFS/damon/schemes" "damo restored the empty scheme list"
	echo 9 >"$R/sim/processes/$idle/kill"
fi
finish
