/**
 * `--timeline FILE`: where the wall time of each phase goes. Every interval it writes one line of each process's
 * CPU (% of a core over the interval) and the namespace's pods by state, read from its own watch: how many
 * exist, are bound, Running, Ready, and terminating. A process at 100% is the bottleneck; all of them well
 * under it while the counts stand still is a wait (a timer, a batch, an event not yet seen).
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { RestClient } from '../../src/client/rest.js';
import { Pods } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/client/types.js';
import { nowMs } from '../runner/index.js';
import { cpuSeconds } from '../runner/procs.js';

type PodState = 'pending' | 'bound' | 'running' | 'ready' | 'terminating';

interface PodLike extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const stateOf = (p: PodLike): PodState => {
  if (p.metadata?.deletionTimestamp) return 'terminating';
  if (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return 'ready';
  if (p.status?.phase === 'Running') return 'running';
  return p.spec?.nodeName ? 'bound' : 'pending';
};

export class Timeline {
  private readonly states = new Map<string, PodState>();
  /** Pod name → its pod-template-hash label (which ReplicaSet of the Deployment it belongs to). */
  private readonly hashes = new Map<string, string>();
  private readonly ac = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private t0 = nowMs();
  private label = '';

  constructor(
    private readonly file: string,
    private readonly client: RestClient,
    private readonly namespace: string,
    private readonly pids: Record<string, number>,
    private readonly intervalMs = 250,
  ) {}

  async start(): Promise<void> {
    writeFileSync(this.file, `# t(s) phase ${Object.keys(this.pids).map((p) => `${p}%`).join(' ')} pods pending bound running ready terminating [hash:pods/ready]…\n`);
    const list = await this.client.list<PodLike>(Pods, { namespace: this.namespace });
    for (const p of list.items) this.note(p);
    void (async () => {
      try {
        for await (const ev of this.client.watch<PodLike>(Pods, { namespace: this.namespace, resourceVersion: list.metadata.resourceVersion, signal: this.ac.signal })) {
          if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
          if (ev.type === 'DELETED') {
            this.states.delete(ev.object.metadata!.name!);
            this.hashes.delete(ev.object.metadata!.name!);
          } else this.note(ev.object);
        }
      } catch {
        // The bench is stopping.
      }
    })();
    let cpu = Object.values(this.pids).map((pid) => cpuSeconds(pid));
    let last = nowMs();
    this.timer = setInterval(() => {
      const now = nowMs();
      const next = Object.values(this.pids).map((pid) => cpuSeconds(pid));
      const pct = next.map((c, i) => (((c - cpu[i]!) * 1000) / (now - last)) * 100);
      cpu = next;
      last = now;
      const n: Record<PodState, number> = { pending: 0, bound: 0, running: 0, ready: 0, terminating: 0 };
      const byHash = new Map<string, [number, number]>();
      for (const [name, s] of this.states) {
        n[s]++;
        const h = this.hashes.get(name) ?? '-';
        const c = byHash.get(h) ?? [0, 0];
        c[0]++;
        if (s === 'ready') c[1]++;
        byHash.set(h, c);
      }
      const hashes = [...byHash].map(([h, [all, ready]]) => `${h}:${all}/${ready}`).join(' ');
      appendFileSync(this.file, `${((now - this.t0) / 1000).toFixed(2)} ${this.label} ${pct.map((x) => x.toFixed(0)).join(' ')} ${this.states.size} ${n.pending} ${n.bound} ${n.running} ${n.ready} ${n.terminating} ${hashes}\n`);
    }, this.intervalMs);
  }

  private note(p: PodLike): void {
    const name = p.metadata!.name!;
    this.states.set(name, stateOf(p));
    this.hashes.set(name, p.metadata?.labels?.['pod-template-hash'] ?? '-');
  }

  /** Marks the start of a phase: times restart from 0. */
  phase(label: string): void {
    this.label = label.replace(/\s+/g, '_');
    this.t0 = nowMs();
  }

  stop(): void {
    clearInterval(this.timer);
    this.ac.abort();
  }
}
