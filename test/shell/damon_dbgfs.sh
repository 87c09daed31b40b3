#!/usr/bin/env bash
# damon_dbgfs.sh — /sys/kernel/debug/damon (mm/damon/dbgfs.c and the 2020 DAMON series):
# modes and sizes, read formats and defaults, and the errno of each documented bad write, the
# way the kernel's own damon selftests (debugfs_attrs.sh and friends) check them.
source "$(dirname "$0")/lib.sh"

D=$DEBUGFS/damon
require_file "$D/attrs"

for f in "$D"/*; do
	[ -f "$f" ] || continue
	[ "$(stat -c '%a %s' "$f")" = "600 0" ] || fail "${f##*/}: mode/size $(stat -c '%a %s' "$f"), want 600 0"
done
pass "every damon file is 0600 with size 0"
[[ $(cat "$D/attrs") =~ ^[0-9]+\ [0-9]+\ [0-9]+\ [0-9]+\ [0-9]+$ ]] && pass "attrs reads five numbers" || fail "attrs reads '$(cat "$D/attrs")'"
is_fresh && content_is "$D/attrs" "5000 100000 1000000 10 1000"
is_fresh && content_is "$D/monitor_on" off
[ -e "$D/kdamond_pid" ] && is_fresh && content_is "$D/kdamond_pid" none

require_writes
[ "$(cat "$D/monitor_on")" = off ] || skip "DAMON is running: these checks need it off"
orig_attrs=$(cat "$D/attrs")

# attrs (debugfs_attrs.sh)
write_ok "$D/attrs" "1 2 3 4 5" && content_is "$D/attrs" "1 2 3 4 5"
write_fails_with "$D/attrs" "1 2 3 4" EINVAL
write_fails_with "$D/attrs" "1 2 3 2 5" EINVAL          # min_nr_regions < 3
write_fails_with "$D/attrs" "1 2 3 6 5" EINVAL          # min_nr_regions > max_nr_regions
# unsigned longs: ULONG_MAX reads back exactly; one more wraps to 0 (sscanf ignores overflow)
write_ok "$D/attrs" "5000 100000 18446744073709551615 10 18446744073709551615"
content_is "$D/attrs" "5000 100000 18446744073709551615 10 18446744073709551615"
write_ok "$D/attrs" "5000 100000 18446744073709551616 10 1000"
content_is "$D/attrs" "5000 100000 0 10 1000"
write_ok "$D/attrs" "$orig_attrs"

# the target list, under either name
TF=$D/target_ids
[ -e "$TF" ] || TF=$D/pids
write_ok "$TF" paddr
[[ $(cat "$TF") =~ ^(-1|42)$ ]] && pass "${TF##*/} reads the paddr target as $(cat "$TF")" || fail "${TF##*/} reads '$(cat "$TF")' after paddr"
if [ -e "$D/pids" ]; then
	write_fails_with "$D/pids" abc ENOMEM                # no number parsed: the 2020 parser's ENOMEM
	write_ok "$D/pids" paddr
	content_is "$D/pids" -1
fi

# init_regions
if [ -e "$D/init_regions" ]; then
	id=$(cat "$TF")
	write_ok "$D/init_regions" "$id 4096 8192"
	content_is "$D/init_regions" "$id 4096 8192"
	# A rejected write clears every region (the kernel's rule), so the error checks start empty.
	{ echo "$id 8192 4096" >"$D/init_regions"; } 2>/dev/null
	is_empty "$D/init_regions" "a rejected init_regions write cleared the earlier regions"
	write_fails_with "$D/init_regions" "$id 8192 4096" EINVAL            # start >= end
	write_fails_with "$D/init_regions" "$id 4096 8192 $id 6000 9000" EINVAL # overlap
	write_fails_with "$D/init_regions" "$id 8192 12288 $id 4096 8192" EINVAL # out of order
	write_fails_with "$D/init_regions" "12345 4096 8192" EINVAL           # not a target
fi

# record
if [ -e "$D/record" ]; then
	orig_record=$(cat "$D/record")
	write_ok "$D/record" "4242 foo.bar" && content_is "$D/record" "4242 foo.bar"
	write_fails_with "$D/record" 1024 EINVAL                              # both fields are required
	write_fails_with "$D/record" "5000000 /tmp/x" EINVAL                  # above 4 MiB
	write_fails_with "$D/record" "1024 /$(printf 'a%.0s' $(seq 256))" EINVAL  # path of 256+ characters
	write_ok "$D/record" "$orig_record"
fi

# schemes
write_ok "$D/schemes" "4096 8192 0 5 10 20 5"
[[ $(head -1 "$D/schemes") =~ ^4096\ 8192\ 0\ 5\ 10\ 20\ 5(\ 0)+$ ]] && pass "schemes reads the scheme back with zeroed stats" || fail "schemes reads '$(cat "$D/schemes")'"
write_fails_with "$D/schemes" "4096 8192 0 5 10 20 9" EINVAL           # no such action
write_ok "$D/schemes" ""
is_empty "$D/schemes" "an empty write removed every scheme"

# monitor_on
write_fails_with "$D/monitor_on" off EPERM
write_fails_with "$D/monitor_on" maybe EINVAL
[ -e "$D/record" ] && write_ok "$D/record" "0 none"
[ -e "$D/init_regions" ] && write_ok "$D/init_regions" "$(cat "$TF") 4096 8192"
write_ok "$D/monitor_on" on
content_is "$D/monitor_on" on
write_fails_with "$D/monitor_on" on EBUSY
write_fails_with "$D/attrs" "$orig_attrs" EBUSY
[ -e "$D/kdamond_pid" ] && { [[ $(cat "$D/kdamond_pid") =~ ^[0-9]+$ ]] && pass "kdamond_pid is a pid while running" || fail "kdamond_pid reads '$(cat "$D/kdamond_pid")'"; }
write_ok "$D/monitor_on" off
content_is "$D/monitor_on" off
# kdamond's end destroys every region; the paddr target stays (only pid targets are put)
[[ $(cat "$TF") =~ ^(-1|42)$ ]] && pass "the paddr target survives monitor_on off" || fail "${TF##*/} reads '$(cat "$TF")' after off"
[ -e "$D/init_regions" ] && is_empty "$D/init_regions" "the kdamond's end destroyed the init regions"
[ -e "$D/record" ] && write_ok "$D/record" "$orig_record"

# contexts (5.15+ names)
if [ -e "$D/mk_contexts" ]; then
	write_ok "$D/mk_contexts" tiersim_test
	[ -d "$D/tiersim_test" ] && [ -e "$D/tiersim_test/attrs" ] && pass "mk_contexts made a context directory" || fail "no $D/tiersim_test/attrs"
	write_fails_with "$D/mk_contexts" tiersim_test EEXIST
	write_fails_with "$D/rm_contexts" no_such_context ENOENT
	# names as debugfs_create_dir takes them (lookup_one_common, simple_lookup)
	write_fails_with "$D/mk_contexts" a/b EACCES
	write_fails_with "$D/mk_contexts" .. EACCES
	write_fails_with "$D/mk_contexts" "$(printf 'x%.0s' $(seq 256))" ENAMETOOLONG
	ls "$D" >/dev/null && pass "damon/ still lists after the refused names" || fail "ls $D fails"
	write_ok "$D/rm_contexts" tiersim_test
	[ ! -e "$D/tiersim_test" ] && pass "rm_contexts removed it" || fail "$D/tiersim_test still exists"
fi
finish
