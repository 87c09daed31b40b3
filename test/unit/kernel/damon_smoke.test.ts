import { it } from 'vitest';
import { damonDbgfs } from '../../../src/kernel/mm/damon/dbgfs.js';
import { advance, bootPreset, spawn } from './boot.js';
const D = 'sys/kernel/debug/damon';
it('smoke', async () => {
  const k = bootPreset();
  const pid = await spawn(k, 'hotset size=1G threads=8 node=1');
  const p = k.tasks.get(pid)!;
  k.fs.writeFile(`${D}/pids`, 'paddr\n');
  k.fs.writeFile(`${D}/record`, '1048576 /tmp/damon.data\n');
  k.fs.writeFile(`${D}/monitor_on`, 'on\n');
  const t0 = performance.now();
  await advance(k, '5s');
  console.log('wall ms', performance.now() - t0);
  const ctx = damonDbgfs(k).defaultCtx;
  const regions = ctx.targets[0]!.regions;
  const hotStart = p.vma.pt[0]! * 4096, hotEnd = hotStart + 26214 * 4096;
  console.log('nr regions', regions.length, 'hot', hotStart.toString(16), hotEnd.toString(16), 'cpu', ctx.cpuNs);
  const max = Math.max(...regions.map((r) => r.lastNrAccesses));
  let tp = 0, fp = 0;
  for (const r of regions) if (r.lastNrAccesses >= max / 2) { const ov = Math.max(0, Math.min(r.end, hotEnd) - Math.max(r.start, hotStart)); tp += ov; fp += r.size - ov; console.log(r.start.toString(16), r.end.toString(16), r.lastNrAccesses, r.age); }
  console.log('precision', tp / (tp + fp), 'recall', tp / (hotEnd - hotStart));
  k.fs.writeFile(`${D}/monitor_on`, 'off\n');
  console.log((k.hostFs as any).files.get('/tmp/damon.data')?.length);
});
