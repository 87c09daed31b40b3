// /sys/kernel/debug/damon (spec/kernel-files.md §1): every file's format and errno, table
// driven, for the default (union) ABI and the exact generations behind --damon-abi.
import { describe, expect, it } from 'vitest';
import { EACCES, EBUSY, EEXIST, EINVAL, ENAMETOOLONG, ENOENT, ENOMEM, EPERM, KernelError, O_WRONLY } from '../../../src/kernfs/index.js';
import { bootKernel, MemoryHostFs, type Kernel } from '../../../src/kernel/kernel.js';
import { damonDbgfs, type DamonAbi } from '../../../src/kernel/mm/damon/dbgfs.js';
import { SIM_ADDR_LIMIT, SIM_MAX_NR_REGIONS } from '../../../src/kernel/mm/damon/core.js';
import { parseRecord } from '../../../src/damo/recfile.js';
import { advance, bootPreset, errnoOf, presetConfig, spawn } from './boot.js';

const D = 'sys/kernel/debug/damon';
const boot = (abi: DamonAbi = 'union') => (abi === 'union' ? bootPreset() : bootKernel(presetConfig(), { seed: 1, clock: 'virtual', damonAbi: abi }));
const read = (k: Kernel, f: string) => k.fs.readFile(`${D}/${f}`);
const write = (k: Kernel, f: string, text: string) => k.fs.writeFile(`${D}/${f}`, text);
const fails = (k: Kernel, f: string, text: string) => errnoOf(() => write(k, f, text)) as KernelError | undefined;

describe('file set and modes', () => {
  it.each([
    ['union', ['attrs', 'pids', 'target_ids', 'init_regions', 'record', 'schemes', 'kdamond_pid', 'monitor_on', 'mk_contexts', 'rm_contexts']],
    ['2020', ['attrs', 'pids', 'init_regions', 'record', 'schemes', 'monitor_on']],
    ['5.15', ['attrs', 'target_ids', 'init_regions', 'schemes', 'kdamond_pid', 'monitor_on', 'mk_contexts', 'rm_contexts']],
    ['5.18', ['attrs', 'target_ids', 'init_regions', 'schemes', 'kdamond_pid', 'monitor_on', 'mk_contexts', 'rm_contexts']],
  ] as const)('%s presents %j, each 0600 and size 0', (abi, names) => {
    const k = boot(abi);
    expect([...k.fs.readdir(D)].sort()).toEqual([...names].sort());
    for (const n of names) expect(k.fs.stat(`${D}/${n}`)).toMatchObject({ mode: 0o100600, size: 0 });
  });

  it('writes at a non-zero offset are EINVAL', () => {
    const k = boot();
    const fh = k.fs.open(`${D}/attrs`, O_WRONLY);
    try {
      expect(() => k.fs.write(fh, Buffer.from('5000 100000 1000000 10 1000\n'), 3)).toThrow(EINVAL);
    } finally {
      k.fs.release(fh);
    }
  });
});

describe('attrs', () => {
  it.each([
    ['union', '5000 100000 1000000 10 1000\n'],
    ['2020', '5000 100000 1000000 10 1000\n'],
    ['5.18', '5000 100000 60000000 10 1000\n'],
  ] as const)('%s default reads %j', (abi, text) => expect(read(boot(abi), 'attrs')).toBe(text));

  it.each([
    ['10000 200000 2000000 5 500', undefined],
    ['1 2 3 4', EINVAL],
    ['a b c d e', EINVAL],
    ['5000 100000 1000000 2 1000', EINVAL],
    ['5000 100000 1000000 20 10', EINVAL],
    ['200000 100000 1000000 10 1000', undefined], // the 2020 series has no sample <= aggr rule
  ])('%j → %s', (input, errno) => {
    const k = boot();
    const before = read(k, 'attrs');
    expect(fails(k, 'attrs', `${input}\n`)).toBe(errno);
    if (errno) expect(read(k, 'attrs')).toBe(before);
    else expect(read(k, 'attrs')).toBe(`${input}\n`);
  });

  it('5.18 rejects sample > aggr', () => expect(fails(boot('5.18'), 'attrs', '200000 100000 1000000 10 1000')).toBe(EINVAL));
});

describe('pids and target_ids', () => {
  it('echo paddr > pids reads -1 from pids and from target_ids; echo paddr > target_ids reads 42', () => {
    const k = boot();
    write(k, 'pids', 'paddr\n');
    expect(read(k, 'pids')).toBe('-1\n');
    expect(read(k, 'target_ids')).toBe('-1\n');
    write(k, 'target_ids', 'paddr\n');
    expect(read(k, 'target_ids')).toBe('42\n');
    expect(read(k, 'pids')).toBe('42\n');
  });

  it.each([
    ['1 2 abc 4', '1 2\n', undefined],
    ['abc', undefined, ENOMEM], // zero numbers parsed: the 2020 parser's ENOMEM
    ['', undefined, ENOMEM],
  ])('pids %j', (input, text, errno) => {
    const k = boot();
    expect(fails(k, 'pids', `${input}\n`)).toBe(errno);
    if (text) expect(read(k, 'pids')).toBe(text);
  });

  it('pids are capped at 32', () => {
    const k = boot();
    write(k, 'pids', Array.from({ length: 40 }, (_, i) => i + 1).join(' '));
    expect(read(k, 'pids').trim().split(' ')).toHaveLength(32);
  });

  it('target_ids takes live simulated pids; a nonexistent pid is EINVAL (ENOMEM on 5.18); prefixes of paddr select paddr', async () => {
    const k = boot();
    const pid = await spawn(k, 'idle size=4K');
    write(k, 'target_ids', `${pid}\n`);
    expect(read(k, 'target_ids')).toBe(`${pid}\n`);
    expect(fails(k, 'target_ids', '999999\n')).toBe(EINVAL);
    expect(read(k, 'target_ids')).toBe(`${pid}\n`);
    write(k, 'target_ids', 'pad');
    expect(read(k, 'target_ids')).toBe('42\n');
    write(k, 'target_ids', '\n');
    expect(read(k, 'target_ids')).toBe('\n');
    expect(fails(boot('5.18'), 'target_ids', '999999\n')).toBe(ENOMEM);
  });
});

describe('init_regions', () => {
  it('paddr regions accept -1 and 42 in the union and read back in the form of the file that set the target', () => {
    const k = boot();
    write(k, 'pids', 'paddr\n');
    write(k, 'init_regions', '-1 4096 8192\n42 8192 16384\n');
    expect(read(k, 'init_regions')).toBe('-1 4096 8192\n-1 8192 16384\n');
    write(k, 'target_ids', 'paddr');
    write(k, 'init_regions', '-1 4096 8192\n');
    expect(read(k, 'init_regions')).toBe('42 4096 8192\n');
  });

  it.each([
    ['-1 100 50', EINVAL], // start >= end
    ['-1 100 100', EINVAL],
    ['7 100 200', EINVAL], // not a target
    ['-1 100 200\n-1 150 300', EINVAL], // overlap
    ['-1 300 400\n-1 100 200', EINVAL], // out of order
    ['-1 100 200\n-1 200', undefined], // an incomplete trailing line is ignored
  ])('%j → %s, and an error clears every region', (input, errno) => {
    const k = boot();
    write(k, 'pids', 'paddr\n');
    write(k, 'init_regions', '-1 4096 8192\n');
    expect(fails(k, 'init_regions', `${input}\n`)).toBe(errno);
    expect(read(k, 'init_regions')).toBe(errno ? '' : '-1 100 200\n');
  });

  it('5.18 addresses targets by index', async () => {
    const k = boot('5.18');
    const pid = await spawn(k, 'idle size=4K');
    write(k, 'target_ids', `${pid}`);
    expect(fails(k, 'init_regions', `${pid} 4096 8192`)).toBe(EINVAL);
    write(k, 'init_regions', '0 4096 8192');
    expect(read(k, 'init_regions')).toBe('0 4096 8192\n');
  });
});

describe('record', () => {
  it.each([
    ['2048 /tmp/x.data', '2048 /tmp/x.data\n', undefined],
    ['0 none', '0 none\n', undefined],
    ['4242 foo.bar', '4242 foo.bar\n', undefined], // any short path is accepted at write time
    ['1024', undefined, EINVAL],
    ['abc /tmp/x', undefined, EINVAL],
    [`${4 * 1024 * 1024 + 1} /tmp/x`, undefined, EINVAL],
    ['512 /tmp/x', undefined, EINVAL],
    [`1024 /${'a'.repeat(255)}`, undefined, EINVAL],
  ])('%j', (input, text, errno) => {
    const k = boot();
    expect(read(k, 'record')).toBe('1048576 /damon.data\n');
    expect(fails(k, 'record', `${input}\n`)).toBe(errno);
    expect(read(k, 'record')).toBe(text ?? '1048576 /damon.data\n');
  });
});

describe('schemes', () => {
  it('2020: seven fields in, nine out (the inputs, then regions and bytes applied)', () => {
    const k = boot();
    write(k, 'schemes', '4096 8192 0 5 10 20 2\n4096 8192 0 5 10 20 5\n');
    expect(read(k, 'schemes')).toBe('4096 8192 0 5 10 20 2 0 0\n4096 8192 0 5 10 20 5 0 0\n');
    write(k, 'schemes', '\n');
    expect(read(k, 'schemes')).toBe('');
  });

  it('ULONG_MAX sizes read back as written, not clamped', () => {
    const k = boot();
    write(k, 'schemes', '4096 18446744073709551615 0 20 0 4294967295 2\n');
    expect(read(k, 'schemes')).toBe('4096 18446744073709551615 0 20 0 4294967295 2 0 0\n');
  });

  it('an unknown action is EINVAL (damos_action_valid)', () => {
    const k = boot();
    expect(fails(k, 'schemes', '4096 8192 0 5 10 20 6')).toBe(EINVAL);
  });

  it('"-1" is no action: "%u" does not parse a sign, so the line is incomplete and parsing stops there', () => {
    const k = boot();
    write(k, 'schemes', '4096 8192 0 5 10 20 5\n');
    expect(fails(k, 'schemes', '4096 8192 0 5 10 20 2\n4096 8192 0 5 10 20 -1\n')).toBe(undefined);
    expect(read(k, 'schemes')).toBe('4096 8192 0 5 10 20 2 0 0\n');
  });

  it('5.18: 18 fields in, 23 out; min above max and bad watermarks are EINVAL', () => {
    const k = boot('5.18');
    write(k, 'schemes', '4096 8192 0 5 10 20 2 0 0 0 0 0 0 0 0 0 0 0\n');
    expect(read(k, 'schemes')).toBe('4096 8192 0 5 10 20 2 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n');
    expect(fails(k, 'schemes', '8192 4096 0 5 10 20 2 0 0 0 0 0 0 0 0 0 0 0')).toBe(EINVAL);
    expect(fails(k, 'schemes', '4096 8192 0 5 10 20 2 0 0 0 0 0 0 1 100 500 600 100')).toBe(EINVAL);
  });

  it('5.15: 18 fields in, 20 out', () => {
    const k = boot('5.15');
    write(k, 'schemes', '4096 8192 0 5 10 20 5 0 0 0 0 0 0 0 0 0 0 0');
    expect(read(k, 'schemes').trim().split(' ')).toHaveLength(20);
  });
});

describe('monitor_on, kdamond_pid and contexts', () => {
  it('on/off round trip with kdamond_pid; on while on is EBUSY, off while off EPERM, junk EINVAL', async () => {
    const k = boot();
    expect(read(k, 'monitor_on')).toBe('off\n');
    expect(read(k, 'kdamond_pid')).toBe('none\n');
    expect(fails(k, 'monitor_on', 'off\n')).toBe(EPERM);
    expect(fails(k, 'monitor_on', 'maybe\n')).toBe(EINVAL);
    write(k, 'pids', 'paddr\n');
    write(k, 'record', '0 none\n');
    write(k, 'monitor_on', 'on\n');
    expect(read(k, 'monitor_on')).toBe('on\n');
    expect(read(k, 'kdamond_pid')).toMatch(/^\d+\n$/);
    expect(fails(k, 'monitor_on', 'on\n')).toBe(EBUSY);
    // Configuration while running: EBUSY, except pids (EINVAL in the 2020 series).
    expect(fails(k, 'attrs', '5000 100000 1000000 10 1000')).toBe(EBUSY);
    expect(fails(k, 'record', '0 none')).toBe(EBUSY);
    expect(fails(k, 'schemes', '4096 8192 0 5 10 20 5')).toBe(EBUSY);
    expect(fails(k, 'init_regions', '-1 4096 8192')).toBe(EBUSY);
    expect(() => read(k, 'init_regions')).toThrow(EBUSY);
    expect(fails(k, 'pids', '1')).toBe(EINVAL);
    expect(fails(k, 'target_ids', '1')).toBe(EBUSY);
    write(k, 'monitor_on', 'off\n');
    expect(read(k, 'monitor_on')).toBe('off\n');
    expect(read(k, 'kdamond_pid')).toBe('none\n');
  });

  it('on with no target is EINVAL; kdamond_pid cannot be written; mk/rm_contexts cannot be read', () => {
    const k = boot();
    write(k, 'target_ids', '\n');
    expect(fails(k, 'monitor_on', 'on')).toBe(EINVAL);
    expect(fails(k, 'kdamond_pid', '1')).toBe(EINVAL);
    expect(() => read(k, 'mk_contexts')).toThrow(EINVAL);
    expect(() => read(k, 'rm_contexts')).toThrow(EINVAL);
  });

  it('mk_contexts makes a directory of context files; rm_contexts removes it', () => {
    const k = boot();
    write(k, 'mk_contexts', 'foo\n');
    expect([...k.fs.readdir(`${D}/foo`)].sort()).toEqual(['attrs', 'init_regions', 'kdamond_pid', 'record', 'schemes', 'target_ids', 'pids'].sort());
    expect(fails(k, 'rm_contexts', 'bar')).toBe(ENOENT);
    expect(fails(k, 'rm_contexts', 'attrs')).toBe(EINVAL);
    expect(fails(k, 'rm_contexts', '')).toBe(undefined); // an empty write(2) never reaches the handler
    write(k, 'rm_contexts', 'foo');
    expect(k.fs.readdir(D)).not.toContain('foo');
  });
});

describe('mk_contexts names are checked as debugfs_create_dir checks them', () => {
  // sscanf(kbuf, "%s") takes the first word (ending at whitespace or NUL; whitespace alone
  // converts to ""), then lookup_one_common refuses "", ".", ".." and any '/' (EACCES),
  // simple_lookup a name over NAME_MAX (ENAMETOOLONG), start_creating an existing one (EEXIST).
  it.each([
    ['a/b', EACCES, undefined],
    ['../x', EACCES, undefined],
    ['.', EACCES, undefined],
    ['..', EACCES, undefined],
    ['\n', EACCES, undefined], // an empty name
    ['  \t\n', EACCES, undefined],
    ['\0abc', EINVAL, undefined], // nothing converts: the C string is empty
    ['a\0b', undefined, 'a'], // a NUL ends the name
    ['  spaced  name\n', undefined, 'spaced'],
    ['x'.repeat(255), undefined, 'x'.repeat(255)],
    ['x'.repeat(256), ENAMETOOLONG, undefined],
    ['...', undefined, '...'],
    ['.hidden', undefined, '.hidden'],
    ['attrs', EEXIST, undefined],
    ['monitor_on', EEXIST, undefined],
    [Buffer.from('café').toString('latin1'), undefined, 'café'], // UTF-8 bytes name a UTF-8 entry
    ['\xff\xfe', EINVAL, undefined], // not UTF-8: FUSE could never name it (a FUSE limit)
  ])('%j → %s', (input, errno, created) => {
    const k = boot();
    const before = [...k.fs.readdir(D)].sort();
    expect(fails(k, 'mk_contexts', input)).toBe(errno);
    const after = [...k.fs.readdir(D)].sort(); // the directory always lists
    if (errno) expect(after).toEqual(before);
    else {
      expect(after).toEqual([...before, created!].sort());
      expect(k.fs.readFile(`${D}/${created}/attrs`)).toBe('5000 100000 1000000 10 1000\n');
    }
  });

  it('a second mk_contexts of a name is EEXIST; rm_contexts of a refused name is ENOENT', () => {
    const k = boot();
    write(k, 'mk_contexts', 'foo');
    expect(fails(k, 'mk_contexts', 'foo\n')).toBe(EEXIST);
    for (const bad of ['a/b', '.', '..', ' \n']) expect(fails(k, 'rm_contexts', bad)).toBe(ENOENT); // debugfs_lookup finds nothing
    expect(fails(k, 'rm_contexts', '\0')).toBe(EINVAL);
    write(k, 'rm_contexts', 'foo');
  });

  it('5.18 refuses a/b too', () => expect(fails(boot('5.18'), 'mk_contexts', 'a/b')).toBe(EACCES));
});

describe('numbers as the kernel’s sscanf reads them: unsigned longs exact to ULONG_MAX, overflow wraps', () => {
  // lib/vsprintf.c: sscanf's simple_strntoull ignores KSTRTOX_OVERFLOW ("FIXME") and
  // _parse_integer_limit keeps res * 10 + digit mod 2^64, so no write ever fails for size;
  // "%u"/"%d" then keep the low 32 bits. '+' is no sign to sscanf, '-' only for "%d".
  const UL = '18446744073709551615';
  const wrap64 = (digits: string) => BigInt.asUintN(64, BigInt(digits)).toString();

  it.each([
    [`${UL} ${UL} ${UL} ${UL} ${UL}`, `${UL} ${UL} ${UL} ${UL} ${UL}`],
    ['9007199254740993 9007199254740995 9007199254740997 10 9007199254740999', '9007199254740993 9007199254740995 9007199254740997 10 9007199254740999'], // above 2^53: not rounded
    ['18446744073709551616 100000 1000000 10 1000', '0 100000 1000000 10 1000'], // ULONG_MAX + 1 wraps to 0
    [`1${'0'.repeat(50)} 100000 1000000 10 1000`, `${wrap64(`1${'0'.repeat(50)}`)} 100000 1000000 10 1000`], // 1e50 written out
    ['1e50 100000 1000000 10 1000', EINVAL], // "%lu" reads 1, then 'e' is not the next number
    ['+5000 100000 1000000 10 1000', EINVAL],
    ['-5000 100000 1000000 10 1000', EINVAL],
    ['5000 100000 1000000 10 18446744073709551616', EINVAL], // max wraps to 0 < min
    ['Infinity 1 1 10 1000', EINVAL],
  ])('attrs %j → %j', (input, want) => {
    const k = boot();
    const before = read(k, 'attrs');
    expect(fails(k, 'attrs', `${input}\n`)).toBe(typeof want === 'string' ? undefined : want);
    expect(read(k, 'attrs')).toBe(typeof want === 'string' ? `${want}\n` : before);
  });

  it.each([
    ['union', 'pids', `-1 0 ${UL}`, `-1 0 ${UL}\n`],
    ['union', 'pids', '-1 9007199254740993 9007199254740995', '-1 9007199254740993 9007199254740995\n'],
    ['union', 'pids', '-1 4096 18446744073709551616', EINVAL], // end wraps to 0: start >= end
    ['union', 'pids', '4294967295 4096 8192', '-1 4096 8192\n'], // "%d" keeps 32 bits: -1, the paddr pid
    ['5.15', 'target_ids', `42 0 ${UL}`, `42 0 ${UL}\n`],
    ['5.15', 'target_ids', '-1 4096 8192', ''], // "%lu" does not parse "-1": no region, no error
    ['5.18', 'target_ids', `0 ${UL.slice(0, -1)}4 ${UL}`, `0 18446744073709551614 ${UL}\n`],
  ] as const)('%s init_regions (target through %s) %j → %j', (abi, file, input, want) => {
    const k = boot(abi);
    write(k, file, 'paddr\n');
    expect(fails(k, 'init_regions', `${input}\n`)).toBe(typeof want === 'string' ? undefined : want);
    expect(read(k, 'init_regions')).toBe(typeof want === 'string' ? want : '');
  });

  it('5.18 schemes keep every unsigned long field to ULONG_MAX', () => {
    const k = boot('5.18');
    const line = `0 ${UL} 0 4294967295 0 4294967295 5 ${UL} ${UL} ${UL} 0 0 0 0 ${UL} ${UL} ${UL} ${UL}`;
    write(k, 'schemes', `${line}\n`);
    expect(read(k, 'schemes')).toBe(`${line} 0 0 0 0 0\n`);
  });

  it.each([
    ['4096 8192 4294967296 5 10 20 5', '4096 8192 0 5 10 20 5 0 0\n'], // "%u": the low 32 bits
    ['4096 99999999999999999999 0 5 10 20 5', `4096 ${wrap64('99999999999999999999')} 0 5 10 20 5 0 0\n`],
    [`4096 ${UL} 0 4294967295 0 4294967295 2`, `4096 ${UL} 0 4294967295 0 4294967295 2 0 0\n`],
  ])('2020 schemes %j reads %j', (input, want) => {
    const k = boot();
    write(k, 'schemes', `${input}\n`);
    expect(read(k, 'schemes')).toBe(want);
  });

  it.each([
    ['99999999999', '1215752191\n'], // "%d": 99999999999 mod 2^32
    ['1e50', '1\n'],
    [UL, '-1\n'],
  ])('pids %j reads %j, never a float', (input, want) => {
    const k = boot();
    write(k, 'pids', `${input}\n`);
    expect(read(k, 'pids')).toBe(want);
  });

  it('target_ids hands "%lu" to find_get_pid as an int: 2^32 + pid is that pid', async () => {
    const k = boot();
    const pid = await spawn(k, 'idle size=4K');
    write(k, 'target_ids', `${2 ** 32 + pid}\n`);
    expect(read(k, 'target_ids')).toBe(`${pid}\n`);
  });

  it('record "%u": 2^32 + 1024 is 1024', () => {
    const k = boot();
    write(k, 'record', `${2 ** 32 + 1024} /x.data\n`);
    expect(read(k, 'record')).toBe('1024 /x.data\n');
  });

  it('monitoring with ULONG_MAX attrs and a [0, ULONG_MAX) region runs, bounded, and records readable regions', async () => {
    const k = boot();
    write(k, 'attrs', `5000 100000 1000000 3 ${UL}\n`);
    write(k, 'pids', 'paddr\n');
    write(k, 'init_regions', `-1 0 ${UL}\n`);
    write(k, 'record', '4096 /big.data\n');
    write(k, 'monitor_on', 'on\n');
    await advance(k, '2s');
    expect(damonDbgfs(k).defaultCtx.nrRegions()).toBeLessThanOrEqual(SIM_MAX_NR_REGIONS);
    write(k, 'monitor_on', 'off\n');
    const rec = parseRecord((k.hostFs as MemoryHostFs).files.get('/big.data')!);
    expect(rec.snapshots.length).toBeGreaterThanOrEqual(15);
    for (const s of rec.snapshots) for (const r of s.targets[0]!.regions) expect(r.end).toBeLessThanOrEqual(SIM_ADDR_LIMIT);
    write(k, 'attrs', `${UL} ${UL} ${UL} ${UL} ${UL}\n`);
    write(k, 'init_regions', `-1 0 ${UL}\n`);
    write(k, 'monitor_on', 'on\n');
    await advance(k, '1s'); // a sampling interval of ULONG_MAX µs: no sample yet
    write(k, 'monitor_on', 'off\n');
    expect(read(k, 'attrs')).toBe(`${UL} ${UL} ${UL} ${UL} ${UL}\n`);
  });

  it('zero intervals: simulated time still moves between samples', async () => {
    const k = boot();
    write(k, 'attrs', '0 0 0 3 3\n');
    write(k, 'pids', 'paddr\n');
    write(k, 'record', '0 none\n');
    write(k, 'monitor_on', 'on\n');
    await advance(k, '10ms');
    expect(k.clock.nowNs).toBe(10e6);
    write(k, 'monitor_on', 'off\n');
  });
});
