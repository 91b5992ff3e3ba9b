/**
 * Upstream's disruption rules: NoExecute taints (and so evictions) are rate limited per zone, at a rate that
 * depends on how much of the zone is unready. A zone mostly lost is more likely a broken network or control plane
 * than broken nodes, so evicting there slows down or stops; when every zone is lost, nothing is evicted at all.
 */
export type ZoneState = 'Initial' | 'Normal' | 'PartialDisruption' | 'FullDisruption';

export interface EvictionRates {
  /** --node-eviction-rate: nodes a second that may get a NoExecute taint in a healthy zone (0.1). */
  nodeEvictionRate: number;
  /** --secondary-node-eviction-rate: the rate in a partially disrupted large zone (0.01). */
  secondaryNodeEvictionRate: number;
  /** --unhealthy-zone-threshold: the unready share from which a zone is partially disrupted (0.55). */
  unhealthyZoneThreshold: number;
  /** --large-cluster-size-threshold: a partially disrupted zone of at most this many nodes stops tainting (50). */
  largeClusterSizeThreshold: number;
}

export const defaultEvictionRates: EvictionRates = {
  nodeEvictionRate: 0.1,
  secondaryNodeEvictionRate: 0.01,
  unhealthyZoneThreshold: 0.55,
  largeClusterSizeThreshold: 50,
};

const REGION_LABEL = 'topology.kubernetes.io/region';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** Nodes with this label are left out of the zone counts (still tainted when unready). */
export const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

/** A node's zone, region and zone together as upstream keys it (nodes with neither share the '' zone). */
export function zoneKey(labels: Readonly<Record<string, string>> | undefined): string {
  const region = labels?.[REGION_LABEL] ?? '';
  const zone = labels?.[ZONE_LABEL] ?? '';
  return region === '' && zone === '' ? '' : `${region}:\0:${zone}`;
}

/** A zone's state from how many of its nodes are Ready and how many are not (no Ready condition: not). */
export function computeZoneState(ready: number, notReady: number, unhealthyZoneThreshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (notReady + ready) >= unhealthyZoneThreshold) return 'PartialDisruption';
  return 'Normal';
}

/**
 * Each zone's Ready and unready node counts, kept as the nodes informer reports changes, so zone states cost
 * a look over the zones, not over every node.
 */
export class ZoneReadiness {
  private readonly byNode = new Map<string, { zone: string; ready: boolean }>();
  private readonly zones = new Map<string, { ready: number; notReady: number }>();

  set(name: string, labels: Readonly<Record<string, string>> | undefined, readyStatus: string | undefined): void {
    this.delete(name);
    if (labels?.[EXCLUDE_DISRUPTION_LABEL] !== undefined) return;
    const zone = zoneKey(labels);
    const ready = readyStatus === 'True';
    let z = this.zones.get(zone);
    if (!z) this.zones.set(zone, (z = { ready: 0, notReady: 0 }));
    if (ready) z.ready++; else z.notReady++;
    this.byNode.set(name, { zone, ready });
  }

  delete(name: string): void {
    const was = this.byNode.get(name);
    if (!was) return;
    this.byNode.delete(name);
    const z = this.zones.get(was.zone)!;
    if (was.ready) z.ready--; else z.notReady--;
    if (z.ready + z.notReady === 0) this.zones.delete(was.zone);
  }

  /** Every zone with a node in it: its state and size. */
  states(unhealthyZoneThreshold: number): Map<string, { state: ZoneState; size: number }> {
    const out = new Map<string, { state: ZoneState; size: number }>();
    for (const [zone, z] of this.zones) out.set(zone, { state: computeZoneState(z.ready, z.notReady, unhealthyZoneThreshold), size: z.ready + z.notReady });
    return out;
  }
}

/** Nodes a second that may get a NoExecute taint in a zone of `size` nodes in `state` (not every zone lost). */
export function zoneTaintRate(state: ZoneState, size: number, rates: EvictionRates): number {
  if (state === 'PartialDisruption') return size > rates.largeClusterSizeThreshold ? rates.secondaryNodeEvictionRate : 0;
  return rates.nodeEvictionRate;
}

export interface DisruptionPlan {
  /**
   * 'enter': every zone is now fully disrupted: stop tainting everywhere and lift the NoExecute taints;
   * 'exit': some node is Ready again after that: restart each node's grace period and taint at each zone's rate;
   * 'zones': the zones in `rates` changed state; 'none': nothing to do.
   */
  mode: 'enter' | 'exit' | 'zones' | 'none';
  /** Zone → its new tainting rate, for the zones whose limiter changes. */
  rates: Map<string, number>;
  /** Every zone's state after this pass (zones with no node left are gone). */
  states: Map<string, ZoneState>;
}

/** Upstream's handleDisruption: what the zones' states seen this pass change, against the last pass's. */
export function planDisruption(
  prev: ReadonlyMap<string, ZoneState>,
  seen: ReadonlyMap<string, { state: ZoneState; size: number }>,
  rates: EvictionRates,
): DisruptionPlan {
  // A zone seen for the first time was in no state yet (upstream's Initial); zones with no node left are dropped.
  const allWere = [...seen.keys()].every((z) => prev.get(z) === 'FullDisruption');
  const allAre = [...seen.values()].every((z) => z.state === 'FullDisruption');
  const states = new Map<string, ZoneState>();
  const out = new Map<string, number>();
  if (allWere && allAre) {
    for (const z of seen.keys()) states.set(z, 'FullDisruption');
    return { mode: 'none', rates: out, states };
  }
  if (allAre) {
    for (const z of seen.keys()) { states.set(z, 'FullDisruption'); out.set(z, 0); }
    return { mode: 'enter', rates: out, states };
  }
  for (const [z, { state, size }] of seen) {
    states.set(z, state);
    if (allWere || prev.get(z) !== state) out.set(z, zoneTaintRate(state, size, rates));
  }
  return { mode: allWere ? 'exit' : out.size > 0 ? 'zones' : 'none', rates: out, states };
}
