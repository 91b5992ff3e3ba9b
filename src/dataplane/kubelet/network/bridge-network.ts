/**
 * The pod network of a real node, as the CNI bridge + host-local plugins build it, with iproute2:
 *
 *   node namespace <prefix>node-<name>   lo, bridge skiff0 = podCIDR's first address (the pods' gateway),
 *                                        ip_forward on, optional eth0 into the cluster namespace (cluster-link.ts)
 *   pod namespace  <prefix>pod-<uid>     lo, eth0 (veth; its peer veth<hash> on skiff0) with an address from
 *                                        the podCIDR, default route via the gateway
 *
 * Leases live in <stateDir>/ipam.json. Nothing is kept that cannot be found again: a new object on the same
 * stateDir (an agent restart) sees the same sandboxes in list(). hostNetwork (the node's, in start()) puts the
 * bridge and the pods' veths in the agent's own namespace; only a caller that asked for it gets that.
 */
import { join } from 'node:path';
import { parseCIDR, type CIDR } from '../runtime/simulated/ipam.js';
import { connectNode, UPLINK_NAME, uplinkIP, type ClusterLink } from './cluster-link.js';
import { ExecError } from '../../proxy/apply/exec.js';
import { addNetns, deleteLink, deleteNetns, inNetns, ipBatch, ipJson, links, listNetns, netnsExists } from './ip.js';
import { PodLeases, type Lease } from './leases.js';
import { BRIDGE_NAME, DEFAULT_PREFIX, checkPrefix, hostVethName, netnsPath, nodeNetnsName, podNetnsName } from './names.js';
import { planBridge, planHostVeth, planPodInterface } from './node-plan.js';
import { applyRoutes, routesFor, type NodeLike, type RouteSync } from './routes.js';
import type { NodeNetworkConfig, PodNetwork, PodNetworkRequest, PodSandboxNetwork } from './types.js';

export interface BridgePodNetworkOptions {
  /** Directory for this node's network state (ipam.json); one per node. */
  stateDir: string;
  /** Start of every namespace name; tests pass `skiff-t-<run>-`. Default `skiff-`. */
  prefix?: string;
  /** Bridge name in the node namespace. Default skiff0. */
  bridgeName?: string;
  /** Connect the node namespace to a cluster namespace (other nodes on this host); its address is the node IP. */
  uplink?: ClusterLink;
  /** The node's IP (status.podIP of hostNetwork pods) when there is no uplink. */
  nodeIP?: string;
  /**
   * A namespace the caller made for the node (`skiff agent --netns NAME`) instead of <prefix>node-<name>;
   * it is set up like our own but destroy() leaves the namespace itself in place.
   */
  nodeNetns?: string;
}

/** netnsPath of a hostNetwork pod on a hostNetwork node: the host's namespace (pid 1's). */
const HOST_NETNS_PATH = '/proc/1/ns/net';

interface Started {
  cfg: NodeNetworkConfig;
  cidr: CIDR;
  /** null: the agent's own namespace (hostNetwork). */
  nodeNetns: string | null;
  leases: PodLeases;
}

export class BridgePodNetwork implements PodNetwork {
  private readonly prefix: string;
  private readonly bridge: string;
  private readonly nodeIP: string | undefined;
  private state: Started | undefined;
  /** Sandboxes known complete in this process (others are checked once before being returned). */
  private readonly ready = new Set<string>();
  /** Per-uid operation chain: setUp and tearDown of one pod never overlap. */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** routesFor() as last applied without error. */
  private appliedRoutes: string | undefined;

  constructor(private readonly opts: BridgePodNetworkOptions) {
    if (!opts.stateDir) throw new Error('pod network: stateDir must be set');
    this.prefix = checkPrefix(opts.prefix ?? DEFAULT_PREFIX);
    this.bridge = opts.bridgeName ?? BRIDGE_NAME;
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(this.bridge)) throw new Error(`pod network: bridgeName ${JSON.stringify(this.bridge)} must be 1-15 characters of [A-Za-z0-9_.-]`);
    this.nodeIP = opts.uplink ? uplinkIP(opts.uplink.address) : opts.nodeIP;
    if (opts.nodeNetns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(opts.nodeNetns)) throw new Error(`pod network: nodeNetns ${JSON.stringify(opts.nodeNetns)} must be 1-64 characters of [A-Za-z0-9_.-]`);
  }

  async start(cfg: NodeNetworkConfig): Promise<void> {
    if (!cfg || typeof cfg.nodeName !== 'string' || !cfg.nodeName) throw new Error('pod network: nodeName must be set');
    const cidr = parseCIDR(cfg.podCIDR);
    if (cfg.hostNetwork && this.opts.uplink) throw new Error('pod network: uplink needs a node namespace of its own (hostNetwork is set)');
    if (cfg.hostNetwork && this.opts.nodeNetns) throw new Error('pod network: nodeNetns and hostNetwork exclude each other');
    const nodeNetns = cfg.hostNetwork ? null : this.opts.nodeNetns ?? nodeNetnsName(cfg.nodeName, this.prefix);
    if (nodeNetns !== null) {
      if (!(await netnsExists(nodeNetns))) await addNetns(nodeNetns);
      await ipBatch(nodeNetns, planBridge(await links(nodeNetns), { bridge: this.bridge, cidr, loopback: true }));
      // Pods reach other nodes through this namespace. The host's own forwarding setting is never changed.
      await inNetns(nodeNetns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      if (this.opts.uplink) await connectNode(nodeNetns, this.opts.uplink);
    } else {
      await ipBatch(null, planBridge(await links(null), { bridge: this.bridge, cidr, loopback: false }));
    }
    const leases = await PodLeases.load(join(this.opts.stateDir, 'ipam.json'), cfg.podCIDR);
    this.state = { cfg: { ...cfg }, cidr, nodeNetns, leases };
    this.appliedRoutes = undefined;
  }

  nodeNetnsPath(): string | undefined {
    const s = this.state;
    if (s) return s.nodeNetns === null ? undefined : netnsPath(s.nodeNetns);
    return undefined;
  }

  /** The node's IP (the uplink's address, or options.nodeIP): what the agent reports as its InternalIP. */
  get nodeAddress(): string | undefined {
    return this.nodeIP;
  }

  /** The node namespace's name (null: the agent's own), once started: the proxy agent's --netns. */
  nodeNetnsName(): string | null {
    return this.started().nodeNetns;
  }

  async setUp(req: PodNetworkRequest): Promise<PodSandboxNetwork> {
    checkRequest(req);
    return this.serial(req.uid, () => this.doSetUp(req));
  }

  async tearDown(uid: string): Promise<void> {
    if (!uid) throw new Error('pod network: uid must not be empty');
    return this.serial(uid, () => this.doTearDown(uid));
  }

  async list(): Promise<Map<string, PodSandboxNetwork>> {
    const s = this.started();
    const present = await listNetns();
    const out = new Map<string, PodSandboxNetwork>();
    let dropped = false;
    for (const [uid, lease] of s.leases.entries()) {
      if (this.busy.has(uid)) continue; // being set up or torn down: not a settled sandbox yet
      if (lease.ip !== null && !present.has(podNetnsName(uid, this.prefix))) {
        // Its namespace is gone (a reboot empties /run/netns): the address is free again.
        s.leases.release(uid);
        this.ready.delete(uid);
        dropped = true;
        continue;
      }
      out.set(uid, this.sandbox(lease, uid));
    }
    if (dropped) await s.leases.save();
    return out;
  }

  /**
   * Sets the routes to the other nodes' podCIDRs from the Node objects (a Node informer's list). Node status
   * heartbeats change nothing here, so the same routes as last applied cost no process unless `force`
   * (a periodic resync that repairs routes someone removed).
   */
  async applyPeerRoutes(nodes: Iterable<NodeLike>, opts: { force?: boolean } = {}): Promise<RouteSync> {
    const s = this.started();
    const want = routesFor(s.cfg.nodeName, nodes);
    const key = JSON.stringify(want);
    if (!opts.force && key === this.appliedRoutes) return { changes: 0, error: '' };
    const r = await applyRoutes(s.nodeNetns, want);
    this.appliedRoutes = r.error ? undefined : key;
    return r;
  }

  async destroy(): Promise<void> {
    const s = this.state;
    if (!s) return;
    await Promise.all([...this.busy.values()].map((p) => p.catch(() => {})));
    for (const [uid, lease] of s.leases.entries()) {
      if (lease.ip !== null) await this.removeSandbox(s, uid);
      s.leases.release(uid);
    }
    if (s.nodeNetns !== null && !this.opts.nodeNetns) {
      await deleteNetns(s.nodeNetns); // with it the bridge, the routes and the uplink (and its peer)
    } else {
      // A namespace that is not ours to delete: take out what start() and applyPeerRoutes() put in.
      await applyRoutes(s.nodeNetns, []);
      if (this.opts.uplink && s.nodeNetns !== null) await deleteLink(s.nodeNetns, UPLINK_NAME);
      await deleteLink(s.nodeNetns, this.bridge);
    }
    await s.leases.remove();
    this.ready.clear();
    this.state = undefined;
  }

  private started(): Started {
    if (!this.state) throw new Error('pod network: start() has not completed');
    return this.state;
  }

  private sandbox(lease: Lease, uid: string): PodSandboxNetwork {
    if (lease.ip === null) {
      const s = this.started();
      return { netnsPath: s.nodeNetns === null ? HOST_NETNS_PATH : netnsPath(s.nodeNetns), ips: this.nodeIP ? [this.nodeIP] : [] };
    }
    return { netnsPath: netnsPath(podNetnsName(uid, this.prefix)), ips: [lease.ip] };
  }

  private serial<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(uid) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.busy.set(uid, next);
    const done = () => {
      if (this.busy.get(uid) === next) this.busy.delete(uid);
    };
    next.then(done, done);
    return next;
  }

  private async doSetUp(req: PodNetworkRequest): Promise<PodSandboxNetwork> {
    const s = this.started();
    const had = s.leases.get(req.uid);
    if (had && (had.ip === null) !== req.hostNetwork) throw new Error(`pod network: pod ${req.uid} changed spec.hostNetwork; its sandbox must be torn down first`);
    const lease = s.leases.acquire(req.uid, req);
    if (!had) await s.leases.save();
    if (lease.ip === null) return this.sandbox(lease, req.uid);
    if (this.ready.has(req.uid)) return this.sandbox(lease, req.uid);
    const podNetns = podNetnsName(req.uid, this.prefix);
    try {
      if (await netnsExists(podNetns)) {
        // From before a restart: keep it when complete, otherwise start it again from nothing.
        if (await this.complete(podNetns, lease.ip)) {
          this.ready.add(req.uid);
          return this.sandbox(lease, req.uid);
        }
        await this.removeSandbox(s, req.uid);
      }
      await addNetns(podNetns);
      await this.addHostVeth(s, req.uid, podNetns);
      await ipBatch(podNetns, planPodInterface(lease.ip, s.cidr));
    } catch (e) {
      await this.removeSandbox(s, req.uid).catch(() => {});
      s.leases.release(req.uid);
      await s.leases.save();
      throw new Error(`pod network: set up ${req.namespace}/${req.name} (${req.uid}): ${(e as Error).message}`);
    }
    this.ready.add(req.uid);
    return this.sandbox(lease, req.uid);
  }

  private async addHostVeth(s: Started, uid: string, podNetns: string): Promise<void> {
    const veth = hostVethName(uid);
    const plan = planHostVeth(veth, podNetns, this.bridge);
    try {
      await ipBatch(s.nodeNetns, plan);
    } catch (e) {
      // A veth left from a sandbox whose namespace a process still held when it was deleted.
      if (!(e instanceof ExecError && /File exists/.test(e.result.stderr))) throw e;
      await deleteLink(s.nodeNetns, veth);
      await ipBatch(s.nodeNetns, plan);
    }
  }

  /** eth0 inside the pod namespace holds the leased address (the last step of a set-up). */
  private async complete(podNetns: string, ip: string): Promise<boolean> {
    try {
      const rows = await ipJson<{ dst?: string }>(podNetns, ['route', 'show', 'default']);
      const eth0 = (await links(podNetns)).find((l) => l.ifname === 'eth0');
      return rows.length > 0 && !!eth0?.addr_info?.some((a) => a.family === 'inet' && a.local === ip);
    } catch {
      return false;
    }
  }

  private async removeSandbox(s: Started, uid: string): Promise<void> {
    await deleteLink(s.nodeNetns, hostVethName(uid));
    await deleteNetns(podNetnsName(uid, this.prefix));
  }

  private async doTearDown(uid: string): Promise<void> {
    const s = this.started();
    const lease = s.leases.get(uid);
    if (lease?.ip !== null) {
      // Also without a lease: the namespace name comes from the uid alone, so a half-made sandbox goes too.
      const podNetns = podNetnsName(uid, this.prefix);
      if (lease || (await netnsExists(podNetns))) await this.removeSandbox(s, uid);
    }
    this.ready.delete(uid);
    if (s.leases.release(uid)) await s.leases.save();
  }
}

function checkRequest(req: PodNetworkRequest): void {
  if (!req || typeof req !== 'object') throw new Error('pod network: request must be an object');
  for (const f of ['namespace', 'name', 'uid'] as const) if (typeof req[f] !== 'string' || !req[f]) throw new Error(`pod network: ${f} must be a non-empty string`);
  if (typeof req.hostNetwork !== 'boolean') throw new Error('pod network: hostNetwork must be a boolean');
}
