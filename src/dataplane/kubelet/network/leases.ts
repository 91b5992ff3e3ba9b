/**
 * The node's pod address leases, kept in a file so an agent restart hands out no address twice (host-local
 * IPAM keeps one file per address; one JSON file suffices for a node's ~110 pods). The CIDR arithmetic and the
 * round-robin order are the simulated runtime's PodIPAllocator, so real and simulated nodes hand out the same
 * addresses in the same order. The file is written whole to a temp file and renamed, so a crash leaves
 * either the old or the new state, never half of one.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ipToString, parseCIDR, parseIP, PodIPAllocator, type CIDR } from '../runtime/simulated/ipam.js';

export interface Lease {
  /** The pod's address; null for a hostNetwork pod (it has the node's). */
  ip: string | null;
  namespace: string;
  name: string;
}

export interface LeaseFile {
  version: 1;
  podCIDR: string;
  /** The last address handed out: the next allocation continues after it. */
  lastIP?: string;
  leases: Record<string, Lease>;
}

export class PodLeases {
  private readonly alloc: PodIPAllocator;
  private readonly leases = new Map<string, Lease>();
  private lastIP: number | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly podCIDR: string,
    readonly cidr: CIDR,
  ) {
    this.alloc = new PodIPAllocator(cidr);
  }

  /** Fresh leases for podCIDR, restored from `file` when it exists (a lease outside the CIDR is kept, not reserved). */
  static async load(file: string, podCIDR: string): Promise<PodLeases> {
    const cidr = parseCIDR(podCIDR);
    const self = new PodLeases(file, podCIDR, cidr);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== undefined) self.restore(parseLeaseFile(text, file));
    return self;
  }

  private restore(state: LeaseFile): void {
    for (const [uid, lease] of Object.entries(state.leases)) {
      if (lease.ip !== null) {
        const ip = parseIP(lease.ip);
        if (ip === null) continue;
        this.alloc.reserve(ip);
      }
      this.leases.set(uid, lease);
    }
    const last = parseIP(state.lastIP);
    if (last !== null && state.podCIDR === this.podCIDR) {
      this.alloc.resumeAfter(last);
      this.lastIP = last;
    }
  }

  get(uid: string): Lease | undefined {
    return this.leases.get(uid);
  }

  entries(): Array<[string, Lease]> {
    return [...this.leases];
  }

  get size(): number {
    return this.leases.size;
  }

  /** The uid's lease, made now if it has none (in memory: call save()). Throws when the range is full. */
  acquire(uid: string, meta: { namespace: string; name: string; hostNetwork: boolean }): Lease {
    const had = this.leases.get(uid);
    if (had) return had;
    let ip: string | null = null;
    if (!meta.hostNetwork) {
      const n = this.alloc.allocate();
      // host-local's own words, which kubelet puts into the FailedCreatePodSandBox event
      if (n === null) throw new Error(`failed to allocate for range 0: no IP addresses available in range set: ${ipToString(this.alloc.first)}-${ipToString(this.alloc.last)}`);
      ip = ipToString(n);
      this.lastIP = n;
    }
    const lease: Lease = { ip, namespace: meta.namespace, name: meta.name };
    this.leases.set(uid, lease);
    return lease;
  }

  /** Drops the uid's lease (in memory: call save()); true when it had one. */
  release(uid: string): boolean {
    const lease = this.leases.get(uid);
    if (!lease) return false;
    this.leases.delete(uid);
    const ip = lease.ip === null ? null : parseIP(lease.ip);
    if (ip !== null) this.alloc.release(ip);
    return true;
  }

  snapshot(): LeaseFile {
    const out: LeaseFile = { version: 1, podCIDR: this.podCIDR, leases: Object.fromEntries([...this.leases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
    if (this.lastIP !== undefined) out.lastIP = ipToString(this.lastIP);
    return out;
  }

  /** Writes the current state; concurrent calls are serialised and each writes the state as of its turn. */
  save(): Promise<void> {
    const next = this.saving.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify(this.snapshot(), null, 1) + '\n');
      await rename(tmp, this.file);
    });
    this.saving = next.catch(() => {});
    return next;
  }

  async remove(): Promise<void> {
    await this.saving;
    await rm(this.file, { force: true });
  }
}

/** Parses and checks a lease file; errors name the file and the field. */
export function parseLeaseFile(text: string, file = 'lease file'): LeaseFile {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${(e as Error).message}`);
  }
  const o = v as Partial<LeaseFile> | null;
  if (!o || typeof o !== 'object' || o.version !== 1) throw new Error(`${file}: version must be 1`);
  if (typeof o.podCIDR !== 'string') throw new Error(`${file}: podCIDR must be a string`);
  if (!o.leases || typeof o.leases !== 'object') throw new Error(`${file}: leases must be an object`);
  for (const [uid, l] of Object.entries(o.leases)) {
    if (!l || typeof l !== 'object') throw new Error(`${file}: leases[${uid}] must be an object`);
    if (l.ip !== null && typeof l.ip !== 'string') throw new Error(`${file}: leases[${uid}].ip must be a string or null`);
  }
  return o as LeaseFile;
}
