/**
 * Which Events a kubelet posts for a change it has just computed, as pure values: the pod's containers moving
 * (a new run → Pulling/Pulled or "already present", Created, Started; a crash loop → BackOff; a deletion →
 * Killing; an admission rejection → its OutOf<resource> warning) and the node's conditions moving (NodeReady,
 * NodeNotReady, NodeHasSufficientMemory, ...). Reasons and messages are upstream v1.32's
 * (pkg/kubelet/events, kuberuntime_container.go, images/image_manager.go, nodestatus/setters.go).
 *
 * The simulated runtime computes whole statuses rather than stepping through create/start calls, so the pod
 * rules compare what a status shows against a small per-pod memory: per container the last run announced as
 * started, the last run announced in back-off, and whether it was running. Runs skipped between two looks
 * (a crash loop compressed by INSTANT timing) are announced once, for the newest run.
 */
import { createHash } from 'node:crypto';
import type { Pod, PodStatus } from './types.js';

export type EventKind = 'Normal' | 'Warning';

/** One Event to post about the pod; fieldPath names the container (spec.containers{name}) or is absent. */
export interface PodEventSpec {
  type: EventKind;
  reason: string;
  message: string;
  fieldPath?: string;
}

/**
 * What the rules remember of one pod between looks. `marks` holds three numbers per container, init containers
 * first, in spec order: last run announced as started (-1: none), last run announced in back-off (-1), running
 * (1) or not (0; 2 and 3: not running, a failed image pull or its back-off announced). Plain numbers: 150,000
 * of these must stay small.
 */
export interface PodEventMemory {
  marks: number[];
  killing: boolean;
  rejected: boolean;
  /** When the rules last looked at the pod: a new run's simulated pull is reported as taking the time since. */
  since: number;
}

export interface PodEventInput {
  pod: Pod;
  /** The status just computed, or null when it did not change since the last look. */
  status: PodStatus | null;
  memory: PodEventMemory | undefined;
  now: number;
  /** Whether the node already holds this image (a previous Pulled on it). */
  hasImage: (image: string) => boolean;
}

export interface PodEventOutput {
  events: PodEventSpec[];
  memory: PodEventMemory;
  /** Images this look reports as pulled: the caller records them as present on the node. */
  pulled: string[];
}

interface ContainerSpec {
  name: string;
  image?: string;
  imagePullPolicy?: string;
}

interface StatusJSON {
  name?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; running?: unknown; terminated?: unknown };
  lastState?: { terminated?: unknown };
}

/** marks[i*3+2] for a container not running whose failed pull, or that pull's back-off, was announced. */
const PULL_FAILED = 2;
const PULL_BACKOFF = 3;

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
const rec = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/**
 * The API server's default for imagePullPolicy (pkg/apis/core/v1/defaults.go), used when a pod lacks it:
 * Always for an untagged or :latest image without a digest, IfNotPresent otherwise.
 */
export function defaultPullPolicy(image: string): string {
  if (image.includes('@')) return 'IfNotPresent';
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const tag = colon > slash ? image.slice(colon + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/** Go's time.Duration String() of a duration truncated to milliseconds: 0s, 212ms, 1.5s, 2m3.004s, 1h0m0s. */
export function goDurationMs(ms: number): string {
  const d = Math.max(0, Math.floor(ms));
  if (d === 0) return '0s';
  if (d < 1000) return `${d}ms`;
  const h = Math.floor(d / 3_600_000);
  const m = Math.floor((d % 3_600_000) / 60_000);
  const rest = d % 60_000;
  const whole = Math.floor(rest / 1000);
  const frac = rest % 1000 ? `.${String(rest % 1000).padStart(3, '0').replace(/0+$/, '')}` : '';
  const s = `${whole}${frac}s`;
  if (h > 0) return `${h}h${m}m${s}`;
  if (m > 0) return `${m}m${s}`;
  return s;
}

/** A stable, plausible size for a simulated image (nothing is pulled): 5–205 MB from its name. */
export function simulatedImageSize(image: string): number {
  const h = createHash('sha256').update(image).digest();
  return 5_000_000 + (h.readUInt32BE(0) % 200_000_000);
}

export function newPodEventMemory(size: number, now: number): PodEventMemory {
  const marks = new Array<number>(size * 3);
  for (let i = 0; i < size; i++) {
    marks[i * 3] = -1;
    marks[i * 3 + 1] = -1;
    marks[i * 3 + 2] = 0;
  }
  return { marks, killing: false, rejected: false, since: now };
}

/** The run a container status shows as having happened (running, exited, or waiting after one), or -1. */
function runShown(s: StatusJSON | undefined): number {
  if (!s || !s.state) return -1;
  const n = typeof s.restartCount === 'number' && s.restartCount >= 0 ? s.restartCount : 0;
  if (s.state.running || s.state.terminated) return n;
  if (s.state.waiting && s.lastState?.terminated) return n;
  return -1;
}

function containersWithPaths(pod: Pod): { c: ContainerSpec; fieldPath: string }[] {
  const spec = rec(pod.spec);
  const out: { c: ContainerSpec; fieldPath: string }[] = [];
  for (const c of list<ContainerSpec>(spec.initContainers)) if (typeof c?.name === 'string') out.push({ c, fieldPath: `spec.initContainers{${c.name}}` });
  for (const c of list<ContainerSpec>(spec.containers)) if (typeof c?.name === 'string') out.push({ c, fieldPath: `spec.containers{${c.name}}` });
  return out;
}

function statusesByName(status: Record<string, unknown>): Map<string, StatusJSON> {
  const m = new Map<string, StatusJSON>();
  for (const s of [...list<StatusJSON>(status.initContainerStatuses), ...list<StatusJSON>(status.containerStatuses)]) if (typeof s?.name === 'string') m.set(s.name, s);
  return m;
}

/**
 * Memory for a pod seen for the first time: runs its API status already shows (an agent that restarted while
 * the pod ran) count as announced, so a restart does not post them again.
 */
export function initialPodEventMemory(pod: Pod, now: number): PodEventMemory {
  const cs = containersWithPaths(pod);
  const mem = newPodEventMemory(cs.length, now);
  const status = rec(pod.status);
  const shown = statusesByName(status);
  cs.forEach(({ c }, i) => {
    const s = shown.get(c.name);
    mem.marks[i * 3] = runShown(s);
    if (s?.state?.waiting?.reason === 'CrashLoopBackOff') mem.marks[i * 3 + 1] = s.restartCount ?? 0;
    const waiting = s?.state?.waiting?.reason;
    mem.marks[i * 3 + 2] = s?.state?.running ? 1 : waiting === 'ErrImagePull' ? PULL_FAILED : waiting === 'ImagePullBackOff' ? PULL_BACKOFF : 0;
  });
  mem.rejected = status.phase === 'Failed';
  return mem;
}

/** `name_namespace(uid)`, as the kubelet's format.Pod prints a pod. */
const podDesc = (pod: Pod): string => `${pod.metadata?.name ?? ''}_${pod.metadata?.namespace ?? ''}(${pod.metadata?.uid ?? ''})`;

/** The events one look at a pod produces, and the memory to keep for the next look. */
export function podTransitionEvents(input: PodEventInput): PodEventOutput {
  const { pod, status, now } = input;
  const cs = containersWithPaths(pod);
  let mem = input.memory ?? initialPodEventMemory(pod, now);
  if (mem.marks.length !== cs.length * 3) mem = { ...newPodEventMemory(cs.length, now), killing: mem.killing, rejected: mem.rejected, since: mem.since };
  else mem = { ...mem, marks: mem.marks.slice() };
  const events: PodEventSpec[] = [];
  const pulled: string[] = [];
  // Running as of the previous look: a stop that this very status already shows still had a container to kill.
  const wasRunning = cs.map((_, i) => mem.marks[i * 3 + 2] === 1);

  if (status) {
    const st = rec(status);
    // Admission rejected the pod: the kubelet warns with the rejection's reason (OutOfcpu, NodePorts, ...) and message.
    const reason = typeof st.reason === 'string' ? st.reason : '';
    const rejectedNow = /^OutOf/.test(reason) || (reason !== '' && typeof st.message === 'string' && st.message.startsWith('Pod was rejected: '));
    if (!mem.rejected && st.phase === 'Failed' && rejectedNow) {
      mem.rejected = true;
      const msg = typeof st.message === 'string' ? st.message.replace(/^Pod was rejected: /, '') : '';
      events.push({ type: 'Warning', reason, message: msg });
    }
    // The active deadline handler failed the pod: the kubelet warns once with its reason and message.
    if (!mem.rejected && st.phase === 'Failed' && st.reason === 'DeadlineExceeded') {
      mem.rejected = true;
      events.push({ type: 'Warning', reason: 'DeadlineExceeded', message: typeof st.message === 'string' ? st.message : '' });
    }
    const shown = statusesByName(st);
    cs.forEach(({ c, fieldPath }, i) => {
      const s = shown.get(c.name);
      if (!s) return;
      const run = runShown(s);
      if (run > mem.marks[i * 3]!) {
        mem.marks[i * 3] = run;
        const image = c.image ?? '';
        const policy = c.imagePullPolicy ?? defaultPullPolicy(image);
        if (policy === 'Always' || (policy === 'IfNotPresent' && !input.hasImage(image) && !pulled.includes(image))) {
          const took = goDurationMs(now - mem.since);
          events.push({ type: 'Normal', reason: 'Pulling', message: `Pulling image ${JSON.stringify(image)}`, fieldPath });
          events.push({
            type: 'Normal',
            reason: 'Pulled',
            message: `Successfully pulled image ${JSON.stringify(image)} in ${took} (${took} including waiting). Image size: ${simulatedImageSize(image)} bytes.`,
            fieldPath,
          });
          pulled.push(image);
        } else {
          events.push({ type: 'Normal', reason: 'Pulled', message: `Container image ${JSON.stringify(image)} already present on machine`, fieldPath });
        }
        events.push({ type: 'Normal', reason: 'Created', message: `Created container: ${c.name}`, fieldPath });
        events.push({ type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, fieldPath });
      }
      if (s.state?.waiting?.reason === 'CrashLoopBackOff') {
        const n = s.restartCount ?? 0;
        if (n !== mem.marks[i * 3 + 1]) {
          mem.marks[i * 3 + 1] = n;
          events.push({ type: 'Warning', reason: 'BackOff', message: `Back-off restarting failed container ${c.name} in pod ${podDesc(pod)}`, fieldPath });
        }
      }
      // A failed pull (image_manager.go, then kuberuntime's "Error: <reason>"), once per attempt; then its back-off.
      const waiting = s.state?.waiting?.reason;
      const image = c.image ?? '';
      if (waiting === 'ErrImagePull' && mem.marks[i * 3 + 2] !== PULL_FAILED) {
        events.push({ type: 'Normal', reason: 'Pulling', message: `Pulling image ${JSON.stringify(image)}`, fieldPath });
        events.push({ type: 'Warning', reason: 'Failed', message: `Failed to pull image ${JSON.stringify(image)}: ${s.state?.waiting?.message ?? ''}`, fieldPath });
        events.push({ type: 'Warning', reason: 'Failed', message: 'Error: ErrImagePull', fieldPath });
      } else if (waiting === 'ImagePullBackOff' && mem.marks[i * 3 + 2] !== PULL_BACKOFF) {
        events.push({ type: 'Normal', reason: 'BackOff', message: `Back-off pulling image ${JSON.stringify(image)}`, fieldPath });
        events.push({ type: 'Warning', reason: 'Failed', message: 'Error: ImagePullBackOff', fieldPath });
      }
      if (s.state?.running) wasRunning[i] = true;
      mem.marks[i * 3 + 2] = s.state?.running ? 1 : waiting === 'ErrImagePull' ? PULL_FAILED : waiting === 'ImagePullBackOff' ? PULL_BACKOFF : 0;
    });
  }

  // A deletion: the kubelet stops each container still running, once.
  if (!mem.killing && typeof pod.metadata?.deletionTimestamp === 'string') {
    mem.killing = true;
    cs.forEach(({ c, fieldPath }, i) => {
      if (wasRunning[i]) events.push({ type: 'Normal', reason: 'Killing', message: `Stopping container ${c.name}`, fieldPath });
    });
  }
  mem.since = now;
  return { events, memory: mem, pulled };
}

/** The node conditions the kubelet reports an event for, and the reason for each status. */
const CONDITION_REASONS: Record<string, { True: string; False: string }> = {
  MemoryPressure: { True: 'NodeHasInsufficientMemory', False: 'NodeHasSufficientMemory' },
  DiskPressure: { True: 'NodeHasDiskPressure', False: 'NodeHasNoDiskPressure' },
  PIDPressure: { True: 'NodeHasInsufficientPID', False: 'NodeHasSufficientPID' },
  Ready: { True: 'NodeReady', False: 'NodeNotReady' },
};

export interface NodeEventSpec {
  type: EventKind;
  reason: string;
  message: string;
}

/** `Node x status is now: Reason` for each watched condition whose status changed (all of them on a first post). */
export function nodeConditionEvents(nodeName: string, prev: readonly { type: string; status: string }[] | undefined, next: readonly { type: string; status: string }[]): NodeEventSpec[] {
  const out: NodeEventSpec[] = [];
  for (const c of next) {
    const reasons = CONDITION_REASONS[c.type];
    if (!reasons) continue;
    const before = prev?.find((p) => p.type === c.type)?.status;
    if (before === c.status) continue;
    const reason = c.status === 'True' ? reasons.True : reasons.False;
    out.push({ type: 'Normal', reason, message: `Node ${nodeName} status is now: ${reason}` });
  }
  return out;
}

/** What a kubelet posts once when it starts on a node: Starting, then NodeAllocatableEnforced. */
export function kubeletStartEvents(): NodeEventSpec[] {
  return [
    { type: 'Normal', reason: 'Starting', message: 'Starting kubelet.' },
    { type: 'Normal', reason: 'NodeAllocatableEnforced', message: 'Updated Node Allocatable limit across pods' },
  ];
}
