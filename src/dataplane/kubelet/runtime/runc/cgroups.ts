/**
 * What a container's cgroup says: CPU time, memory working set, OOM kills; cgroup v1 (per-controller
 * directories) and v2 (one unified directory). runc records the directories in its state.json as
 * `cgroup_paths` (v1: one per controller; v2 and the hybrid's unified tree: key ""). Parsers are pure; readers
 * return undefined when the cgroup is gone.
 */
import { readFile, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export type CgroupPaths = Record<string, string>;

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1).trim());
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/** The kubelet's (cadvisor's) working set: usage minus inactive file pages, never below zero. */
export function workingSet(usage: number, stat: Map<string, number>, v2: boolean): number {
  const inactive = (v2 ? stat.get('inactive_file') : stat.get('total_inactive_file') ?? stat.get('inactive_file')) ?? 0;
  return Math.max(0, usage - inactive);
}

async function read(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

export interface CgroupUsage {
  cpuUsageNanos: number;
  memoryWorkingSetBytes: number;
}

export async function readUsage(paths: CgroupPaths): Promise<CgroupUsage | undefined> {
  if (paths.memory || paths.cpuacct) {
    const cpu = await read(`${paths.cpuacct ?? paths.cpu}/cpuacct.usage`);
    const usage = await read(`${paths.memory}/memory.usage_in_bytes`);
    const stat = await read(`${paths.memory}/memory.stat`);
    if (cpu === undefined && usage === undefined) return undefined;
    return {
      cpuUsageNanos: Number(cpu?.trim() ?? 0) || 0,
      memoryWorkingSetBytes: usage === undefined ? 0 : workingSet(Number(usage.trim()) || 0, parseFlatKeyed(stat ?? ''), false),
    };
  }
  const dir = paths[''];
  if (!dir) return undefined;
  const cpuStat = await read(`${dir}/cpu.stat`);
  const current = await read(`${dir}/memory.current`);
  const stat = await read(`${dir}/memory.stat`);
  if (cpuStat === undefined && current === undefined) return undefined;
  return {
    cpuUsageNanos: (parseFlatKeyed(cpuStat ?? '').get('usage_usec') ?? 0) * 1000,
    memoryWorkingSetBytes: current === undefined ? 0 : workingSet(Number(current.trim()) || 0, parseFlatKeyed(stat ?? ''), true),
  };
}

/** OOM kills in the container's memory cgroup (v1 memory.oom_control, v2 memory.events); undefined when unreadable. */
export async function readOomKills(paths: CgroupPaths): Promise<number | undefined> {
  if (paths.memory) {
    const t = await read(`${paths.memory}/memory.oom_control`);
    return t === undefined ? undefined : parseFlatKeyed(t).get('oom_kill') ?? 0;
  }
  const dir = paths[''];
  if (!dir) return undefined;
  const t = await read(`${dir}/memory.events`);
  return t === undefined ? undefined : parseFlatKeyed(t).get('oom_kill') ?? 0;
}

/**
 * After runc removed a container's cgroup: remove its now-empty parents that the container's relative
 * cgroupsPath created (e.g. "skiff/pod-x/app" → pod-x, then skiff), leaving any that still hold others.
 */
export async function pruneParents(paths: CgroupPaths, cgroupsPath: string): Promise<void> {
  const levels = cgroupsPath.split('/').filter(Boolean).length - 1;
  for (const leaf of new Set(Object.values(paths))) {
    let dir = leaf;
    for (let i = 0; i < levels; i++) {
      dir = dirname(dir);
      try {
        await rmdir(dir);
      } catch {
        break; // not empty (another container, or a sibling pod) or already gone
      }
    }
  }
}
