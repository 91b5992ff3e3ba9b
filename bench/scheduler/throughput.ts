/**
 * SchedulingThroughput as upstream's scheduler_perf reports it (its throughputCollector): the count of scheduled
 * pods is sampled once a second; the first non-zero sample only starts the clock (it is an outlier: sampling and
 * pod creation start independently); a second with no new pod adds no zero sample but widens the next one; each
 * sample is new pods / the real time since the previous one; the partial second after the last tick is not
 * sampled. Upstream's thresholds (SchedulingBasic 270 pods/s at 5,000 nodes, …) apply to the samples' average.
 */
import { percentiles } from '../runner/index.js';

export interface ThroughputSummary {
  average: number;
  p50: number;
  p90: number;
  samples: number;
}

export class ThroughputSampler {
  private readonly samples: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private started = false;
  private lastCount = 0;
  private lastTime = 0;

  constructor(
    private readonly scheduled: () => number,
    private readonly now: () => number,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  private tick(): void {
    const count = this.scheduled();
    const t = this.now();
    if (count === 0) return;
    if (!this.started) {
      this.started = true;
      this.lastCount = count;
      this.lastTime = t;
      return;
    }
    if (count === this.lastCount) return; // no zero samples: the next one spans the gap
    this.samples.push((count - this.lastCount) / ((t - this.lastTime) / 1000));
    this.lastCount = count;
    this.lastTime = t;
  }

  stop(): ThroughputSummary {
    clearInterval(this.timer);
    const p = percentiles(this.samples);
    return { average: p.mean, p50: p.p50, p90: p.p90, samples: p.count };
  }
}
