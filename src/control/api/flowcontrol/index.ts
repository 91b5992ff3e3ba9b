/**
 * API Priority and Fairness' state in the server: the current configuration (classify.ts), one QueueSet per
 * limited priority level (kept across configuration changes, so waiting requests keep their place), and the
 * per-level and per-schema figures /metrics reports under upstream's apiserver_flowcontrol_* names.
 * `update` takes the stored FlowSchemas and PriorityLevelConfigurations whenever they change (source.ts).
 */
import type { KubeObject } from '../resource.js';
import type { UserInfo } from '../auth/user.js';
import type { RequestInfo } from '../authz/request-info.js';
import { compileFlowControl, type Classification, type FlowControlConfig, type PriorityLevel } from './classify.js';
import { QueueSet, type Admission, type QueueSetClock, type Rejection } from './queue-set.js';
import { allocateConcurrency, smoothDemand } from './borrowing.js';

/** How often levels' limits follow their demand (upstream's 10 s). */
const ADJUST_PERIOD_MS = 10_000;

/** Upstream's request_wait_duration_seconds buckets. */
const WAIT_BUCKETS = [0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30];
const REJECTIONS: Rejection[] = ['queue-full', 'concurrency-limit', 'time-out', 'cancelled'];

/** One (priority level, flow schema) pair's figures. */
export class FlowStats {
  inQueue = 0;
  executing = 0;
  executingSeats = 0;
  dispatched = 0;
  readonly rejected: Record<Rejection, number> = { 'queue-full': 0, 'concurrency-limit': 0, 'time-out': 0, cancelled: 0 };
  /** Wait histograms: [dispatched, rejected] bucket counts, sums and counts. */
  readonly wait = [0, 1].map(() => ({ buckets: new Array<number>(WAIT_BUCKETS.length).fill(0), sum: 0, count: 0 }));
  constructor(readonly level: string, readonly schema: string) {}

  observeWait(seconds: number, executed: boolean): void {
    const h = this.wait[executed ? 0 : 1]!;
    h.sum += seconds;
    h.count++;
    for (let i = 0; i < WAIT_BUCKETS.length; i++) if (seconds <= WAIT_BUCKETS[i]!) h.buckets[i]!++;
  }
}

export interface FlowControlOptions {
  /** --max-requests-inflight + --max-mutating-requests-inflight. */
  serverConcurrencyLimit: number;
  clock?: QueueSetClock;
  /** Borrowing between levels every period (default true; tests may call adjustLimits() themselves). */
  borrowing?: boolean;
}

const realClock: QueueSetClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
};

export class FlowControl {
  private cfg: FlowControlConfig;
  private readonly sets = new Map<string, QueueSet>();
  private readonly stats = new Map<string, FlowStats>();
  private readonly statsOf = new WeakMap<Classification, FlowStats>();
  private readonly clock: QueueSetClock;
  /** Each level's smoothed seat demand, kept across configurations. */
  private readonly smoothed = new Map<string, number>();
  /** Each level's current limit (nominal, until the first adjustment). */
  private readonly current = new Map<string, number>();
  private timer: unknown = null;
  /** Configuration generations seen (tests and logs). */
  generation = 0;

  constructor(private readonly opts: FlowControlOptions) {
    this.clock = opts.clock ?? realClock;
    this.cfg = compileFlowControl([], [], opts.serverConcurrencyLimit);
    this.applyLevels();
    if (opts.borrowing !== false) {
      this.allocate();
      this.schedule();
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(() => {
      this.adjustLimits();
      if (this.timer !== null) this.schedule();
    }, ADJUST_PERIOD_MS);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
  }

  /** A level's current concurrency limit (seats), after borrowing. */
  currentLimit(level: string): number {
    return this.current.get(level) ?? this.cfg.levels.get(level)?.nominalCL ?? 0;
  }

  /**
   * The period's adjustment: each level's demand summarised and smoothed, then limits proportional to
   * max(minCL, demand) within each level's bounds, adding up to the server's limit.
   */
  adjustLimits(): void {
    for (const l of this.cfg.levels.values()) {
      const set = l.exempt ? undefined : this.sets.get(l.name);
      // Exempt requests hold no seats here: an exempt level's demand counts as none, so it lends what it may.
      const stats = set ? set.takeDemand() : { avg: 0, stdDev: 0, high: 0 };
      this.smoothed.set(l.name, smoothDemand(this.smoothed.get(l.name) ?? 0, stats));
    }
    for (const name of this.smoothed.keys()) if (!this.cfg.levels.has(name)) this.smoothed.delete(name);
    this.allocate();
  }

  /** Current limits from the smoothed demands (also right after a configuration change). */
  private allocate(): void {
    const levels = [...this.cfg.levels.values()];
    const limits = allocateConcurrency(levels.map((l) => ({
      lower: l.minCL, upper: l.maxCL, target: Math.min(l.maxCL, Math.max(l.minCL, this.smoothed.get(l.name) ?? 0)),
    })), this.cfg.serverConcurrencyLimit);
    this.current.clear();
    levels.forEach((l, i) => {
      this.current.set(l.name, limits[i]!);
      if (!l.exempt) this.sets.get(l.name)?.configure(limits[i]!, l.queuing);
    });
  }

  get config(): FlowControlConfig {
    return this.cfg;
  }

  /** A new configuration from the stored objects; takes effect for the next request. */
  update(schemas: readonly KubeObject[], levels: readonly KubeObject[]): void {
    this.cfg = compileFlowControl(schemas, levels, this.opts.serverConcurrencyLimit);
    this.applyLevels();
    if (this.opts.borrowing !== false) this.allocate();
    this.generation++;
  }

  private applyLevels(): void {
    for (const l of this.cfg.levels.values()) {
      if (l.exempt) continue;
      const set = this.sets.get(l.name);
      // Borrowing: the limit it has now until allocate() runs (right after this); without: the nominal one.
      const limit = this.opts.borrowing === false ? l.nominalCL : this.current.get(l.name) ?? l.nominalCL;
      if (set) set.configure(limit, l.queuing);
      else this.sets.set(l.name, new QueueSet(limit, l.queuing, this.clock));
    }
    // A deleted level's set goes once nothing waits or runs in it (its releases still reach it meanwhile).
    for (const [name, set] of this.sets) if (!this.cfg.levels.has(name) && set.waiting === 0 && set.executing === 0) this.sets.delete(name);
  }

  classify(user: UserInfo, info: RequestInfo): Classification {
    return this.cfg.classify(user, info);
  }

  /** The figures of a classification's (level, schema) pair. */
  statsFor(c: Classification): FlowStats {
    let s = this.statsOf.get(c);
    if (!s) {
      const key = `${c.level.name}\u0000${c.schema.name}`;
      s = this.stats.get(key);
      if (!s) this.stats.set(key, (s = new FlowStats(c.level.name, c.schema.name)));
      this.statsOf.set(c, s);
    }
    return s;
  }

  /** A seat in the request's level (exempt levels: always, and no seat is counted against anything). */
  start(c: Classification, seats: number, waitLimitMs: number): Admission | Promise<Admission> {
    if (c.level.exempt) return EXEMPT_ADMISSION;
    const set = this.sets.get(c.level.name);
    if (!set) return EXEMPT_ADMISSION; // not possible: every configured limited level has a set
    return set.start(c, seats, waitLimitMs);
  }

  /** Prometheus text of upstream's apiserver_flowcontrol_* families. */
  metricsText(): string {
    const out: string[] = [];
    const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const pair = (s: FlowStats) => `flow_schema="${esc(s.schema)}",priority_level="${esc(s.level)}"`;
    const all = [...this.stats.values()];
    const family = (name: string, type: string, help: string, lines: string[]) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    family('apiserver_flowcontrol_current_inqueue_requests', 'gauge', 'Number of requests currently pending in queues of the API Priority and Fairness subsystem',
      all.map((s) => `apiserver_flowcontrol_current_inqueue_requests{${pair(s)}} ${s.inQueue}`));
    family('apiserver_flowcontrol_current_executing_requests', 'gauge', 'Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem',
      all.map((s) => `apiserver_flowcontrol_current_executing_requests{${pair(s)}} ${s.executing}`));
    family('apiserver_flowcontrol_current_executing_seats', 'gauge', 'Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem',
      all.map((s) => `apiserver_flowcontrol_current_executing_seats{${pair(s)}} ${s.executingSeats}`));
    family('apiserver_flowcontrol_dispatched_requests_total', 'counter', 'Number of requests executed by API Priority and Fairness subsystem',
      all.map((s) => `apiserver_flowcontrol_dispatched_requests_total{${pair(s)}} ${s.dispatched}`));
    family('apiserver_flowcontrol_rejected_requests_total', 'counter', 'Number of requests rejected by API Priority and Fairness subsystem',
      all.flatMap((s) => REJECTIONS.filter((r) => s.rejected[r] > 0).map((r) => `apiserver_flowcontrol_rejected_requests_total{${pair(s)},reason="${r}"} ${s.rejected[r]}`)));
    const wait: string[] = [];
    for (const s of all) {
      s.wait.forEach((h, i) => {
        if (h.count === 0) return;
        const labels = `execute="${i === 0}",${pair(s)}`;
        WAIT_BUCKETS.forEach((b, j) => wait.push(`apiserver_flowcontrol_request_wait_duration_seconds_bucket{${labels},le="${b}"} ${h.buckets[j]}`));
        wait.push(`apiserver_flowcontrol_request_wait_duration_seconds_bucket{${labels},le="+Inf"} ${h.count}`);
        wait.push(`apiserver_flowcontrol_request_wait_duration_seconds_sum{${labels}} ${h.sum}`);
        wait.push(`apiserver_flowcontrol_request_wait_duration_seconds_count{${labels}} ${h.count}`);
      });
    }
    family('apiserver_flowcontrol_request_wait_duration_seconds', 'histogram', 'Length of time a request spent waiting in its queue', wait);
    const levels = [...this.cfg.levels.values()];
    const perLevel = (name: string, help: string, v: (l: PriorityLevel) => number) =>
      family(name, 'gauge', help, levels.map((l) => `${name}{priority_level="${esc(l.name)}"} ${v(l)}`));
    perLevel('apiserver_flowcontrol_nominal_limit_seats', 'Nominal number of execution seats configured for each priority level', (l) => l.nominalCL);
    perLevel('apiserver_flowcontrol_current_limit_seats', 'current derived number of execution seats available to each priority level', (l) => this.currentLimit(l.name));
    perLevel('apiserver_flowcontrol_request_concurrency_limit', 'Nominal number of execution seats configured for each priority level', (l) => l.nominalCL);
    perLevel('apiserver_flowcontrol_lower_limit_seats', 'Configured lower bound on number of execution seats available to each priority level', (l) => l.minCL);
    perLevel('apiserver_flowcontrol_upper_limit_seats', 'Configured upper bound on number of execution seats available to each priority level', (l) => (Number.isFinite(l.maxCL) ? l.maxCL : this.cfg.serverConcurrencyLimit));
    perLevel('apiserver_flowcontrol_demand_seats_smoothed', 'Smoothed seat demands', (l) => this.smoothed.get(l.name) ?? 0);
    return out.join('\n') + '\n';
  }
}

const EXEMPT_ADMISSION: Admission = { release: () => {}, waitedMs: 0 };

export type { Classification, FlowControlConfig, PriorityLevel } from './classify.js';
export type { Admission, Rejection } from './queue-set.js';
