#!/usr/bin/env bash
# vfs_errnos.sh — what the VFS answers when a user tries to change a pseudo filesystem with
# coreutils: mkdir/rmdir/rm/mv/ln/mknod/touch get the errno of the filesystem's
# inode_operations (sysfs/kernfs EPERM and EACCES for creates, procfs and /proc/sys ENOENT for
# new names, /proc/sys EACCES for removal, debugfs EPERM), and chmod/chown/touch on an
# existing file are kept by sysfs, debugfs and procfs (a later stat shows them) while /proc/sys
# refuses chmod/chown with EPERM (proc_sys_setattr). Everything it changes it restores.
source "$(dirname "$0")/lib.sh"

is_simulator || skip "it changes file attributes; run it on a tiersim mount"
require_writes
[ "$(id -u)" = 0 ] || skip "not root: the errnos checked are root's (others get EACCES first)"
export LC_ALL=C

POSSIBLE=$NODE/possible
require_file "$POSSIBLE"
require_file "$KSYSCTL/numa_balancing"
require_file "$DEBUGFS/damon/attrs"

# fails_with ERRNAME CMD...: CMD fails and its message carries ERRNAME's text.
fails_with() {
	local want msg err
	want=$1
	shift
	msg=$(strerror "$want") || return 1
	if err=$("$@" 2>&1); then
		fail "'$*' succeeded; want $want"
	elif [[ $err == *"$msg"* ]]; then
		pass "'$*' fails with $want"
	else
		fail "'$*': want $want ($msg), got '$err'"
	fi
}

before=$(ls "$NODE" "$PROC" "$KSYSCTL" "$DEBUGFS/damon" | md5sum)

# sysfs (kernfs without syscall_ops)
fails_with EPERM mkdir "$NODE/newdir"
fails_with EEXIST mkdir "$NODE/node0"
fails_with EPERM rmdir "$NODE/node0"
fails_with EPERM rm -f "$POSSIBLE"
fails_with EPERM mv "$POSSIBLE" "$NODE/possible2"
fails_with EPERM ln -s possible "$NODE/link"
fails_with EPERM ln "$POSSIBLE" "$NODE/hardlink"
fails_with EPERM mknod "$NODE/fifo" p
fails_with EACCES touch "$NODE/newfile"
fails_with EACCES bash -c "echo x > '$NODE/newfile'"
# procfs and /proc/sys: a new name is ENOENT (their lookups fail); removing a sysctl is EACCES
fails_with ENOENT mkdir "$PROC/newdir"
fails_with ENOENT touch "$PROC/newfile"
fails_with ENOENT ln -s meminfo "$PROC/link"
fails_with EPERM rm -f "$PROC/meminfo"
fails_with ENOENT mkdir "$KSYSCTL/newdir"
fails_with ENOENT touch "$KSYSCTL/newfile"
fails_with EACCES rm -f "$KSYSCTL/numa_balancing"
fails_with EACCES rmdir "$KSYSCTL"
# debugfs
fails_with EPERM mkdir "$DEBUGFS/damon/newdir"
fails_with EPERM rm -f "$DEBUGFS/damon/attrs"
fails_with EPERM mv "$DEBUGFS/damon/attrs" "$DEBUGFS/damon/attrs2"

after=$(ls "$NODE" "$PROC" "$KSYSCTL" "$DEBUGFS/damon" | md5sum)
[ "$before" = "$after" ] && pass "no directory changed" || fail "a directory listing changed"

# setattr: stored on sysfs, debugfs and procfs files and directories
for f in "$POSSIBLE" "$NODE/node0" "$DEBUGFS/damon/attrs" "$PROC/meminfo"; do
	mode=$(stat -c %a "$f")
	if chmod 600 "$f" && chown 1234:5678 "$f" && touch -d '2021-02-03 04:05:06 UTC' "$f"; then
		got=$(stat -c '%a %u %g %Y' "$f")
		want="600 1234 5678 $(date -d '2021-02-03 04:05:06 UTC' +%s)"
		[ "$got" = "$want" ] && pass "chmod/chown/touch $f: stat shows '$got'" || fail "after chmod/chown/touch $f: stat shows '$got', want '$want'"
	else
		fail "chmod/chown/touch $f failed"
	fi
	chmod "$mode" "$f" && chown 0:0 "$f" || fail "cannot restore $f"
done
# touch on an existing read-only attribute: open(O_WRONLY) is EACCES, utimensat succeeds
touch "$POSSIBLE" 2>/dev/null && pass "touch of an existing sysfs attribute succeeds" || fail "touch $POSSIBLE failed"

# a sysfs attribute chmod-ed without write bits refuses root's write (kernfs_fop_open)
DE=$MMNUMA/demotion_enabled
if have_file "$DE" "memory tiering"; then
	chmod 444 "$DE"
	write_fails_with "$DE" 1 EACCES
	chmod 644 "$DE"
fi

# /proc/sys: chmod and chown are EPERM, times are allowed
fails_with EPERM chmod 600 "$KSYSCTL/numa_balancing"
fails_with EPERM chown 1234 "$KSYSCTL/numa_balancing"
fails_with EPERM chmod 700 "$KSYSCTL"
[ "$(stat -c '%a %u' "$KSYSCTL/numa_balancing")" = "644 0" ] && pass "numa_balancing still 644 root" || fail "numa_balancing is $(stat -c '%a %u' "$KSYSCTL/numa_balancing")"
touch "$KSYSCTL/numa_balancing" && pass "touch of a sysctl succeeds" || fail "touch $KSYSCTL/numa_balancing failed"

finish
