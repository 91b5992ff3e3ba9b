/**
 * Encodes one pod as the compact query the WASM core reads (layout documented in assembly/scheduler/index.ts):
 * integers only, every string replaced by its interned id (-2 for strings no node carries, which therefore
 * match nothing), every selector replaced by a count column, every topology key by a domain slot.
 */
import {
  isScalarResource, LABEL_HOSTNAME, termMatchesPod, tolerates, type ParsedPod, type Toleration,
} from '../pod-query.js';
import { isEmptySelector, matchesLabels, type NodeTerm } from '../selector.js';
import { F, QF_SHAPE, Q_SECTIONS, SLOT } from './layout.js';
import type { NodeTable } from './table.js';

const OPS: Record<string, number> = { In: 0, NotIn: 1, Exists: 2, DoesNotExist: 3, Gt: 4, Lt: 5 };

export interface EncodedQuery {
  q: number[];
  qf: number[];
  /** Bytes of per-cycle scratch the core will need for this query. */
  scratchBytes: number;
}

export class QueryEncoder {
  private tolCache = new Map<string, { size: number; bits: Uint8Array }>();

  constructor(private readonly table: NodeTable) {}

  /** Per taint id: bit 1 = untolerated NoSchedule/NoExecute (filter), bit 2 = untolerated PreferNoSchedule (score). */
  taintBits(tols: readonly Toleration[]): Uint8Array {
    const key = JSON.stringify(tols);
    const defs = this.table.taintDefs;
    let e = this.tolCache.get(key);
    if (e && e.size === defs.length) return e.bits;
    if (this.tolCache.size > 256) this.tolCache.clear();
    const prefer = tols.filter((t) => t.effect === '' || t.effect === 'PreferNoSchedule');
    const bits = new Uint8Array(defs.length);
    defs.forEach((t, i) => {
      if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tols.some((x) => tolerates(x, t.key, t.value, t.effect))) bits[i] = 1;
      if (t.effect === 'PreferNoSchedule' && !prefer.some((x) => tolerates(x, t.key, t.value, t.effect))) bits[i] = 2;
    });
    e = { size: defs.length, bits };
    this.tolCache.set(key, e);
    return bits;
  }

  encode(pod: ParsedPod, opts: { start: number; toFind: number; strategy: number; shape: { utilization: number; score: number }[]; explain: boolean }): EncodedQuery {
    const t = this.table;
    const q: number[] = new Array(Q_SECTIONS).fill(0);
    const qf: number[] = new Array(QF_SHAPE + 2 * opts.shape.length).fill(0);
    let flags = 0;
    if (pod.tolerations.some((x) => tolerates(x, 'node.kubernetes.io/unschedulable', '', 'NoSchedule'))) flags |= F.TOL_UNSCHED;
    if (pod.nodeName !== '') { flags |= F.NODE_NAME; q[1] = t.index.get(pod.nodeName) ?? -2; }
    q[2] = opts.strategy;
    q[3] = opts.start;
    q[4] = opts.toFind;
    q[5] = t.taints.size;
    q[7] = pod.containerCount;
    q[8] = opts.shape.length;
    opts.shape.forEach((p, i) => { qf[QF_SHAPE + 2 * i] = p.utilization; qf[QF_SHAPE + 2 * i + 1] = p.score; });

    // NodeResourcesFit
    const resSlots: number[] = [];
    let any = false;
    for (const [name, v] of pod.requests) {
      let slot: number;
      if (name in SLOT) slot = SLOT[name as keyof typeof SLOT];
      else if (isScalarResource(name)) slot = t.resourceSlot(name);
      else continue; // resources NodeResourcesFit does not check
      if (slot === SLOT.pods) continue;
      qf[slot] = v;
      if (slot !== SLOT.cpu && slot !== SLOT.memory) resSlots.push(slot);
      if (slot >= 4 || v !== 0) any = true;
    }
    if (any) flags |= F.ANY_REQUEST;
    qf[16] = pod.nonZeroCpu;
    qf[17] = pod.nonZeroMem;
    qf[18] = pod.requests.get('cpu') ?? 0;
    qf[19] = pod.requests.get('memory') ?? 0;
    if (qf[18] === 0 && qf[19] === 0) flags |= F.BEST_EFFORT;
    q.push(resSlots.length, ...resSlots);

    // NodeAffinity
    const sel = pod.nodeSelector ? Object.entries(pod.nodeSelector) : [];
    if (pod.nodeSelector) flags |= F.HAS_SELECTOR;
    q.push(sel.length);
    for (const [k, v] of sel) q.push(t.keys.lookup(k), t.values.lookup(String(v)));
    q[9] = pod.nodeSelector || pod.requiredTerms
      ? t.affinitySlot(JSON.stringify([pod.nodeSelector, pod.requiredTerms]))
      : -1;
    if (pod.requiredTerms) {
      flags |= F.HAS_REQUIRED;
      q.push(pod.requiredTerms.length);
      for (const term of pod.requiredTerms) this.term(term, q, qf);
    } else q.push(0);
    q.push(pod.preferredTerms.length);
    for (const p of pod.preferredTerms) { q.push(p.weight); this.term(p.term, q, qf); }

    // NodePorts
    q.push(pod.hostPorts.length);
    for (const p of pod.hostPorts) q.push(t.portCode(p.port, p.protocol, false), t.ips.lookup(p.ip));

    // ImageLocality
    q.push(pod.images.length);
    for (const img of pod.images) q.push(t.images.lookup(img, -1));

    let domainWords = 0;
    const slotOf = (key: string): number => {
      const s = t.topoSlot(key);
      domainWords += t.domainCount(s) + 2;
      return s;
    };
    const spreadCol = (pod: ParsedPod, selector: ParsedPod['spread'][number]['selector']): number =>
      selector.nothing || isEmptySelector(selector) ? -1 : t.matchColumn([{ namespaces: [pod.namespace], selector }], true);

    // PodTopologySpread
    const hard = pod.spread.filter((c) => c.hard);
    const soft = pod.spread.filter((c) => !c.hard);
    q.push(hard.length);
    for (const c of hard) {
      q.push(slotOf(c.topologyKey), spreadCol(pod, c.selector), c.maxSkew, c.minDomains,
        matchesLabels(c.selector, pod.labels) ? 1 : 0, c.honorAffinity ? 1 : 0, c.honorTaints ? 1 : 0);
    }
    if (!pod.systemDefaultSpread) flags |= F.REQUIRE_ALL;
    q.push(soft.length);
    for (const c of soft) {
      const slot = slotOf(c.topologyKey);
      const empty = t.domains[slot]!.get('');
      q.push(slot, c.topologyKey === LABEL_HOSTNAME ? 1 : 0, spreadCol(pod, c.selector), c.maxSkew,
        c.honorAffinity ? 1 : 0, c.honorTaints ? 1 : 0, empty ?? t.domainCount(slot));
    }

    // InterPodAffinity (filter)
    q.push(pod.requiredAffinity.length);
    q.push(pod.requiredAffinity.length > 0 ? t.matchColumn(pod.requiredAffinity.map((a) => ({ namespaces: a.namespaces, selector: a.selector })), false) : -1);
    for (const a of pod.requiredAffinity) q.push(slotOf(a.topologyKey));
    if (pod.requiredAffinity.length > 0 && pod.requiredAffinity.every((a) => termMatchesPod(a, pod))) flags |= F.OWN_AFFINITY;
    q.push(pod.requiredAntiAffinity.length);
    for (const a of pod.requiredAntiAffinity) {
      q.push(slotOf(a.topologyKey), t.matchColumn([{ namespaces: a.namespaces, selector: a.selector }], false));
    }
    const existingAnti: number[] = [];
    const inter: number[] = [];
    for (const c of t.matchingTerms(pod)) {
      if (c.termKind === 'anti') existingAnti.push(slotOf(c.term.topologyKey), c.slot);
      else inter.push(slotOf(c.term.topologyKey), c.slot, c.termKind === 'prefAnti' ? -c.weight : c.weight);
    }
    q.push(existingAnti.length / 2, ...existingAnti);
    // InterPodAffinity (score): the incoming pod's preferences against existing pods, then existing pods' terms
    for (const p of pod.preferredAffinity) {
      inter.push(slotOf(p.term.topologyKey), t.matchColumn([{ namespaces: p.term.namespaces, selector: p.term.selector }], false), p.weight);
    }
    for (const p of pod.preferredAntiAffinity) {
      inter.push(slotOf(p.term.topologyKey), t.matchColumn([{ namespaces: p.term.namespaces, selector: p.term.selector }], false), -p.weight);
    }
    q.push(inter.length / 3, ...inter);

    // The core keeps per-cycle tables for at most 64 constraints or terms of each kind.
    const most = Math.max(hard.length, soft.length, pod.requiredAffinity.length, pod.requiredAntiAffinity.length, existingAnti.length / 2, inter.length / 3);
    if (most > 64) throw new Error(`pod ${pod.key}: more than 64 topology spread constraints or pod affinity terms of one kind`);
    if (opts.explain) flags |= F.EXPLAIN;
    q[0] = flags;
    const C = t.C;
    const scratchBytes = 80 * C + 16 * 64 + 8 * domainWords * 2 + 4096;
    return { q, qf, scratchBytes };
  }

  private term(term: NodeTerm, q: number[], qf: number[]): void {
    const t = this.table;
    q.push(term.valid ? 1 : 0, term.reqs.length);
    for (const r of term.reqs) {
      if (r.kind === 'field') {
        q.push(1, 0, OPS[r.op]!, r.values.length, ...r.values.map((v) => t.index.get(v) ?? -2));
      } else if (r.op === 'Gt' || r.op === 'Lt') {
        qf.push(r.bound);
        q.push(0, t.keys.lookup(r.key), OPS[r.op]!, 1, qf.length - 1);
      } else {
        q.push(0, t.keys.lookup(r.key), OPS[r.op]!, r.values.length, ...r.values.map((v) => t.values.lookup(v)));
      }
    }
  }
}

