import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseFlatKeyed, pruneParents, readOomKills, readUsage, workingSet } from '../../../../src/dataplane/kubelet/runtime/runc/cgroups.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(base: string, f: Record<string, string>): string {
  mkdirSync(base, { recursive: true });
  for (const [k, v] of Object.entries(f)) writeFileSync(join(base, k), v);
  return base;
}

describe('cgroup readings', () => {
  it('parses flat keyed files and the kubelet working set', () => {
    const m = parseFlatKeyed('cache 10\ntotal_inactive_file 300\ninactive_file 5\nbad x\n');
    expect(m.get('total_inactive_file')).toBe(300);
    expect(m.has('bad')).toBe(false);
    expect(workingSet(1000, m, false)).toBe(700); // v1: total_inactive_file
    expect(workingSet(1000, m, true)).toBe(995); // v2: inactive_file
    expect(workingSet(100, m, false)).toBe(0); // never negative
  });

  it('v1: cpuacct.usage, usage_in_bytes minus total_inactive_file, oom_kill from memory.oom_control', async () => {
    const mem = files(join(dir, 'v1/memory/c'), {
      'memory.usage_in_bytes': '4096000\n',
      'memory.stat': 'total_inactive_file 96000\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    });
    const cpu = files(join(dir, 'v1/cpuacct/c'), { 'cpuacct.usage': '123456789\n' });
    const paths = { memory: mem, cpuacct: cpu, '': join(dir, 'v1/unified/c') };
    expect(await readUsage(paths)).toEqual({ cpuUsageNanos: 123456789, memoryWorkingSetBytes: 4000000 });
    expect(await readOomKills(paths)).toBe(2);
  });

  it('v2: cpu.stat usage_usec, memory.current minus inactive_file, oom_kill from memory.events', async () => {
    const c = files(join(dir, 'v2/c'), {
      'cpu.stat': 'usage_usec 1500\nuser_usec 1000\n',
      'memory.current': '8192\n',
      'memory.stat': 'anon 4096\ninactive_file 1024\n',
      'memory.events': 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n',
    });
    expect(await readUsage({ '': c })).toEqual({ cpuUsageNanos: 1_500_000, memoryWorkingSetBytes: 7168 });
    expect(await readOomKills({ '': c })).toBe(1);
  });

  it('a removed cgroup reads as undefined', async () => {
    expect(await readUsage({ '': join(dir, 'gone') })).toBeUndefined();
    expect(await readOomKills({ memory: join(dir, 'gone') })).toBeUndefined();
  });

  it('prunes only the empty parents the cgroupsPath made', async () => {
    const a = join(dir, 'prune/cpu/skiff-n/pod1');
    mkdirSync(join(a, 'other'), { recursive: true }); // a sibling container still there
    mkdirSync(join(dir, 'prune/memory/skiff-n/pod1'), { recursive: true });
    await pruneParents({ cpu: join(a, 'c1'), memory: join(dir, 'prune/memory/skiff-n/pod1/c1') }, 'skiff-n/pod1/c1');
    expect(existsSync(join(dir, 'prune/cpu/skiff-n/pod1/other'))).toBe(true);
    expect(existsSync(join(dir, 'prune/memory/skiff-n'))).toBe(false);
    expect(existsSync(join(dir, 'prune/memory'))).toBe(true); // never above the path's own levels
  });
});
