/**
 * In-memory stand-ins for the real node's parts (runtime, images, network, volumes, probe checker), recording
 * every call in one ordered log, and a harness that drives a RuncPodDriver on a FakeClock.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FakeClock } from '../../../../src/client/clock.js';
import { ImageError, type EnsureImageOptions, type ImageService, type Rootfs, type StoredImage } from '../../../../src/dataplane/kubelet/images/types.js';
import type { NodeNetworkConfig, PodNetwork, PodNetworkRequest, PodSandboxNetwork } from '../../../../src/dataplane/kubelet/network/types.js';
import { RuncPodDriver, type RuncDriverOptions } from '../../../../src/dataplane/kubelet/runtime/runc/driver.js';
import type { ContainerConfig, ContainerJSON, ContainerSpecInput, PodVolumes, RuncDeps } from '../../../../src/dataplane/kubelet/runtime/runc/pod-worker-deps.js';
import type { HostPorts } from '../../../../src/dataplane/kubelet/runtime/runc/host-ports.js';
import type { CheckResult, GrpcCheck, HttpCheck, NetChecker, TcpCheck } from '../../../../src/dataplane/kubelet/runtime/runc/probe-net.js';
import type { ContainerInfo, ContainerRuntime, ContainerStats, ExecResult, OciSpec, RunOptions } from '../../../../src/dataplane/kubelet/runtime/runc/types.js';
import type { DriverEvent, NodeContext, Pod, PodStatus, SyncResult } from '../../../../src/dataplane/kubelet/types.js';
import { VolumeError, type PreparedVolume } from '../../../../src/dataplane/kubelet/volumes/types.js';

export const T0 = Date.parse('2026-12-03T09:30:00Z');
export const CTX: NodeContext = { nodeName: 'n1', hostIP: '10.200.0.7', podCIDR: '10.244.1.0/24', allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '100Gi' } };

interface FakeContainer {
  info: ContainerInfo;
  logPath: string;
  spec: OciSpec;
  /** What SIGTERM does: exit with 143 (default), or nothing (a process that ignores it). */
  ignoresTerm: boolean;
}

export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  /** Decides exec results (probes, hooks); default exit 0. */
  execHandler: (id: string, argv: string[]) => ExecResult | Promise<ExecResult> = () => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false });
  /** Makes run() fail for these container names. */
  failRun = new Set<string>();
  /** Containers whose name is here ignore SIGTERM. */
  ignoreTerm = new Set<string>();
  /** run()'s options and exec()'s, by container name, as last given. */
  readonly runOpts = new Map<string, RunOptions | undefined>();
  readonly execOpts: { timeoutMs: number; maxOutputBytes?: number }[] = [];
  /** Set by close(). */
  closed = false;
  /** wait() exists only when the harness asks for it (withWait): the driver must work with and without. */
  wait?: (id: string, signal?: AbortSignal) => Promise<ContainerInfo | undefined>;
  private readonly waiters = new Map<string, (() => void)[]>();

  constructor(
    private readonly clock: FakeClock,
    readonly log: string[],
  ) {}

  private nameOf(id: string): string {
    return id.split('_')[1] ?? id;
  }

  /** Gives this runtime a wait() that resolves as soon as a container stops (as RuncRuntime's does). */
  enableWait(): void {
    this.wait = (id, signal) =>
      new Promise((resolve) => {
        const done = (): void => resolve(this.containers.get(id) ? { ...this.containers.get(id)!.info } : undefined);
        const c = this.containers.get(id);
        if (!c || c.info.state === 'stopped' || signal?.aborted) return done();
        signal?.addEventListener('abort', done, { once: true });
        this.waiters.set(id, [...(this.waiters.get(id) ?? []), done]);
      });
  }

  close(): void {
    this.closed = true;
  }

  async run(id: string, bundleDir: string, spec: OciSpec, logPath: string, opts?: RunOptions): Promise<ContainerInfo> {
    this.log.push(`run ${this.nameOf(id)} ${id.split('_')[2]}`);
    this.runOpts.set(this.nameOf(id), opts);
    if (this.failRun.has(this.nameOf(id))) throw new Error(`exec: "nope": executable file not found in $PATH`);
    const info: ContainerInfo = { id, state: 'running', createdAt: this.clock.now(), startedAt: this.clock.now() };
    this.containers.set(id, { info, logPath, spec, ignoresTerm: this.ignoreTerm.has(this.nameOf(id)) });
    return { ...info };
  }

  async state(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    return c ? { ...c.info } : undefined;
  }

  /** The container's process ends on its own. */
  exit(id: string, exitCode: number, oomKilled = false): void {
    const c = this.containers.get(id);
    if (!c || c.info.state !== 'running') throw new Error(`${id} is not running`);
    c.info = { ...c.info, state: 'stopped', exitCode, finishedAt: this.clock.now(), ...(oomKilled ? { oomKilled } : {}) };
    for (const w of this.waiters.get(id) ?? []) w();
    this.waiters.delete(id);
  }

  /** The container stopped while nobody watched (a node reboot): the runtime reports containerd's unknown exit. */
  lose(id: string): void {
    const c = this.containers.get(id);
    if (!c) throw new Error(`no container ${id}`);
    c.info = { id, state: 'stopped', exitCode: 255, exitReason: 'Unknown' };
  }

  async kill(id: string, signal: string): Promise<void> {
    this.log.push(`kill ${this.nameOf(id)} ${signal}`);
    const c = this.containers.get(id);
    if (!c || c.info.state !== 'running') return;
    if (signal === 'SIGKILL') this.exit(id, 137);
    else if (signal === 'SIGTERM' && !c.ignoresTerm) this.exit(id, 143);
  }

  async remove(id: string): Promise<void> {
    this.log.push(`remove ${this.nameOf(id)} ${id.split('_')[2]}`);
    this.containers.delete(id);
  }

  async exec(id: string, argv: string[], opts: { timeoutMs: number; maxOutputBytes?: number }): Promise<ExecResult> {
    this.execOpts.push(opts);
    this.log.push(`exec ${this.nameOf(id)} ${argv.join(' ')}`);
    return this.execHandler(id, argv);
  }

  async list(prefix: string): Promise<ContainerInfo[]> {
    return [...this.containers.values()].filter((c) => c.info.id.startsWith(prefix)).map((c) => ({ ...c.info }));
  }

  stats: (id: string) => Promise<ContainerStats | undefined> = async () => ({ cpuUsageNanos: 0, memoryWorkingSetBytes: 0 });

  /** The one running (or latest) container of `name`. */
  idOf(name: string): string {
    const ids = [...this.containers.keys()].filter((id) => this.nameOf(id) === name);
    if (!ids.length) throw new Error(`no container ${name}`);
    return ids[ids.length - 1]!;
  }
}

export class FakeImages implements ImageService {
  missing = new Set<string>();
  neverPulled = new Set<string>();
  ensures: { image: string; policy: string }[] = [];

  constructor(readonly log: string[]) {}

  async ensure(image: string, opts: EnsureImageOptions): Promise<StoredImage> {
    this.ensures.push({ image, policy: opts.policy });
    if (this.missing.has(image)) throw new ImageError('ErrImagePull', `failed to pull and unpack image "${image}": not found`);
    if (this.neverPulled.has(image)) throw new ImageError('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    const ref = image.includes('/') ? image : `docker.io/library/${image}`;
    return { ref, imageID: `${ref.split(':')[0]}@sha256:${'a'.repeat(64)}`, names: [ref], config: { entrypoint: [], cmd: ['sh'], env: [], workingDir: '', user: '' }, layers: [], sizeBytes: 1 };
  }

  async createRootfs(dir: string): Promise<Rootfs> {
    mkdirSync(dir, { recursive: true });
    return { path: dir, release: async () => void this.log.push(`release ${dir.split('/').slice(-3, -1).join('/')}`) };
  }

  async list(): Promise<StoredImage[]> {
    return [];
  }
}

export class FakeNetwork implements PodNetwork {
  readonly sandboxes = new Map<string, PodSandboxNetwork>();
  private next = 2;
  started: NodeNetworkConfig | null = null;
  failSetUp = false;

  constructor(readonly log: string[]) {}

  async start(cfg: NodeNetworkConfig): Promise<void> {
    this.started = cfg;
  }

  async setUp(req: PodNetworkRequest): Promise<PodSandboxNetwork> {
    if (this.failSetUp) throw new Error('no IP addresses available in range set');
    const have = this.sandboxes.get(req.uid);
    if (have) return have;
    this.log.push(`setUp ${req.name}`);
    const sb = { netnsPath: `/run/netns/skiff-t-pod-${req.uid}`, ips: [`10.244.1.${this.next++}`] };
    this.sandboxes.set(req.uid, sb);
    return sb;
  }

  async tearDown(uid: string): Promise<void> {
    if (this.sandboxes.delete(uid)) this.log.push(`tearDown ${uid}`);
  }

  async list(): Promise<Map<string, PodSandboxNetwork>> {
    return new Map(this.sandboxes);
  }

  nodeNetnsPath(): string | undefined {
    return undefined;
  }

  async destroy(): Promise<void> {
    this.sandboxes.clear();
  }
}

export class FakeVolumes implements PodVolumes {
  envError: string | null = null;
  cleaned: string[] = [];

  constructor(readonly log: string[]) {}

  /** Each prepare() (volumes set up, or refreshed while the pod runs). */
  prepares = 0;
  prepareError: VolumeError | null = null;

  async prepare(): Promise<Map<string, PreparedVolume>> {
    this.prepares++;
    if (this.prepareError) throw this.prepareError;
    return new Map();
  }

  async containerConfig(_pod: Pod, c: ContainerJSON, _prepared: Map<string, PreparedVolume>, ctx: { podDir: string; instanceId: string }): Promise<ContainerConfig> {
    if (this.envError) throw new VolumeError('CreateContainerConfigError', this.envError);
    const terminationLogPath = join(ctx.podDir, 'containers', c.name, ctx.instanceId);
    mkdirSync(dirname(terminationLogPath), { recursive: true });
    writeFileSync(terminationLogPath, '');
    return { env: ['A=1'], mounts: [], terminationLogPath, hostname: 'h' };
  }

  async cleanup(podDir: string): Promise<void> {
    this.cleaned.push(podDir);
    this.log.push('volumes cleanup');
  }
}

export class FakeHostPorts implements HostPorts {
  fail: string | null = null;
  readonly mapped = new Map<string, string>();
  constructor(readonly log: string[]) {}
  async set(uid: string, _pod: Pod, podIP: string): Promise<void> {
    if (this.fail) throw new Error(this.fail);
    this.log.push(`hostPorts ${uid} → ${podIP}`);
    this.mapped.set(uid, podIP);
  }
  async remove(uid: string): Promise<void> {
    this.log.push(`hostPorts remove ${uid}`);
    this.mapped.delete(uid);
  }
}

export class FakeChecker implements NetChecker {
  http: (c: HttpCheck) => Promise<CheckResult> = async () => ({ ok: true, detail: '200' });
  tcp: (c: TcpCheck) => Promise<CheckResult> = async () => ({ ok: true, detail: 'connected' });
  grpc: (c: GrpcCheck) => Promise<CheckResult> = async () => ({ ok: true, detail: 'SERVING' });
  closed = false;
  close(): void {
    this.closed = true;
  }
}

let seq = 0;
export function mkPod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Pod {
  seq++;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${seq}`, namespace: 'default', uid: `${String(seq).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd`, ...meta },
    spec: { nodeName: 'n1', containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  };
}

export function deleting(pod: Pod, grace = 30): Pod {
  return { ...pod, metadata: { ...pod.metadata, deletionTimestamp: new Date(T0).toISOString(), deletionGracePeriodSeconds: grace } };
}

export class Harness {
  readonly clock = new FakeClock(T0);
  readonly log: string[] = [];
  readonly rt = new FakeRuntime(this.clock, this.log);
  readonly images = new FakeImages(this.log);
  readonly net = new FakeNetwork(this.log);
  readonly vols = new FakeVolumes(this.log);
  readonly checker = new FakeChecker();
  readonly hostPorts = new FakeHostPorts(this.log);
  readonly specs: ContainerSpecInput[] = [];
  readonly resyncs: string[] = [];
  readonly events: (DriverEvent & { uid: string })[] = [];
  readonly dataDir: string;
  driver: RuncPodDriver;
  private readonly last = new Map<string, PodStatus>();

  constructor(opts: Partial<RuncDriverOptions> & { dataDir?: string; ctx?: Partial<NodeContext> } = {}) {
    this.dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'skiff-runc-unit-'));
    this.driver = this.newDriver(opts);
  }

  deps(): RuncDeps {
    return {
      runtime: this.rt,
      images: this.images,
      network: this.net,
      volumes: this.vols,
      checker: this.checker,
      hostPorts: this.hostPorts,
      buildSpec: (input) => {
        this.specs.push(input);
        return { process: { args: [] } };
      },
    };
  }

  newDriver(opts: Partial<RuncDriverOptions> & { ctx?: Partial<NodeContext> } = {}): RuncPodDriver {
    this.driver = new RuncPodDriver({ ...CTX, ...opts.ctx }, { resync: (uid) => this.resyncs.push(uid), event: (uid, ev) => this.events.push({ uid, ...ev }) }, {
      deps: this.deps(),
      dataDir: this.dataDir,
      clock: this.clock,
      idPrefix: 'skiff-t-unit-',
      pidAlive: () => false,
      ...opts,
    });
    return this.driver;
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 25; i++) await new Promise((r) => setImmediate(r));
  }

  /** Settles until `done` holds, also letting real file I/O finish (the pod dir's removal is asynchronous). */
  async until(done: () => boolean, tries = 250): Promise<void> {
    for (let i = 0; i < tries && !done(); i++) {
      await this.settle();
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Moves the fake clock in small steps, letting the workers run between them. */
  async advance(ms: number, stepMs = 100): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.step(Math.min(stepMs, ms - t));
      await this.settle();
    }
  }

  sync(pod: Pod): SyncResult {
    const r = this.driver.sync(pod, this.clock.now());
    if (r.status) this.last.set(pod.metadata!.uid!, r.status);
    return r;
  }

  /** Syncs, lets the worker run, syncs again: the status the agent would post by now. */
  async status(pod: Pod): Promise<PodStatus> {
    this.sync(pod);
    await this.settle();
    this.sync(pod);
    return this.last.get(pod.metadata!.uid!)!;
  }

  /** Writes the termination message a container leaves (through its bound host file). */
  writeTerminationMessage(text: string): void {
    const input = this.specs[this.specs.length - 1]!;
    writeFileSync(input.terminationMessageHostPath!, text);
  }

  cleanup(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export const cstat = (s: PodStatus, name = 'app'): Record<string, any> => [...((s.initContainerStatuses as unknown[]) ?? []), ...((s.containerStatuses as unknown[]) ?? [])].find((c) => (c as { name: string }).name === name) as Record<string, any>;
export const cond = (s: PodStatus, type: string): string | undefined => (s.conditions as { type: string; status: string }[] | undefined)?.find((c) => c.type === type)?.status;
