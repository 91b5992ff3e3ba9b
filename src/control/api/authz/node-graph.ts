/**
 * The Node authoriser's graph, as upstream's plugin/pkg/auth/authorizer/node Graph, kept flat so that a decision
 * is a map lookup: each node holds a reference count per object its bound pods name (secret, configmap, claim,
 * service account, resource claim). PersistentVolumes hang off claims (pv.spec.claimRef), and the secrets a PV
 * names hang off the PV; VolumeAttachments and ResourceSlices point at one node each.
 *
 * Contract: fed with every pod, PV, VolumeAttachment and ResourceSlice event (node-graph-feed.ts does it from the
 * watch cache), in revision order. Pods without spec.nodeName are not in the graph; a mirror pod relates only to
 * its node (a node must not grant itself reads by creating pods). Memory is one small map per node plus one
 * entry per bound pod: 15,000 nodes × 10 pods naming 3 objects each retain about 80 MB.
 */
import type { KubeObject } from '../resource.js';
import {
  isMirrorPod, podClaimNames, podConfigMapNames, podReferenceFingerprint, podResourceClaimNames, podSecretNames, pvKubeletSecrets,
} from './node-references.js';
import { StringTable } from '../../../client/share-parts.js';

/** The kinds a pod relates to its node. */
export type PodRefKind = 'secrets' | 'configmaps' | 'persistentvolumeclaims' | 'serviceaccounts' | 'resourceclaims';

const CODE: Record<PodRefKind, string> = { secrets: 's', configmaps: 'c', persistentvolumeclaims: 'p', serviceaccounts: 'a', resourceclaims: 'r' };
// Names and namespaces never hold '/', so the key is unambiguous.
const refKey = (kind: PodRefKind, ns: string, name: string): string => `${CODE[kind]}/${ns}/${name}`;
const nsName = (ns: string, name: string): string => `${ns}/${name}`;

interface PodEntry {
  node: string;
  /** Reference keys joined by newlines: one string per pod costs a third of an array of strings. */
  refs: string;
}

interface PVEntry {
  /** The bound claim, namespace/name ('' when unbound). */
  claim: string;
  /** Kubelet-visible secrets, namespace/name. */
  secrets: string[];
}

/** The questions the authoriser asks. */
export interface NodeGraphReader {
  /** True when the node's pods, PVs or attachments relate it to the object. */
  relates(node: string, kind: NodeGraphKind, namespace: string, name: string): boolean;
}

export type NodeGraphKind = PodRefKind | 'persistentvolumes' | 'volumeattachments' | 'resourceslices';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const specOf = (o: KubeObject): Record<string, unknown> => (o['spec'] ?? {}) as Record<string, unknown>;

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(value);
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const s = index.get(key);
  if (!s) return;
  s.delete(value);
  if (s.size === 0) index.delete(key);
}

export class NodeGraph implements NodeGraphReader {
  private readonly pods = new Map<string, PodEntry>();
  /** node → reference key → how many of its pods name it. */
  private readonly byNode = new Map<string, Map<string, number>>();
  private readonly pvs = new Map<string, PVEntry>();
  private readonly pvsByClaim = new Map<string, Set<string>>();
  private readonly pvsBySecret = new Map<string, Set<string>>();
  private readonly attachments = new Map<string, string>();
  private readonly slices = new Map<string, string>();
  private readonly strings = new StringTable();

  /** Pods in the graph (bound ones). */
  get podCount(): number {
    return this.pods.size;
  }

  /** Adds, moves or refreshes a pod; `prev` (the watch event's previous object) lets an unchanged pod cost nothing. */
  setPod(pod: KubeObject, prev?: KubeObject): void {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const node = str(specOf(pod)['nodeName']);
    // Unbound before and now (every pod's create): it is not in the graph, so there is nothing to remove or add.
    if (node === '' && (prev === undefined || str(specOf(prev)['nodeName']) === '')) return;
    if (prev && node !== '' && str(specOf(prev)['nodeName']) === node && this.pods.has(nsName(ns, name))
      && podReferenceFingerprint(prev) === podReferenceFingerprint(pod)) return;
    this.deletePod(ns, name);
    if (node === '') return;
    const refs: string[] = [];
    if (!isMirrorPod(pod)) {
      const sa = str(specOf(pod)['serviceAccountName']);
      if (sa) refs.push(refKey('serviceaccounts', ns, sa));
      for (const n of podSecretNames(pod)) refs.push(refKey('secrets', ns, n));
      for (const n of podConfigMapNames(pod)) refs.push(refKey('configmaps', ns, n));
      for (const n of podClaimNames(pod)) refs.push(refKey('persistentvolumeclaims', ns, n));
      for (const n of podResourceClaimNames(pod)) refs.push(refKey('resourceclaims', ns, n));
    }
    let counts = this.byNode.get(node);
    if (!counts) this.byNode.set(node, (counts = new Map()));
    for (const k of refs) counts.set(k, (counts.get(k) ?? 0) + 1);
    // Pods of a namespace name the same few objects (its service account, kube-root-ca.crt), and a node's name is
    // in each of its pods: one string for all of them, not one per pod (56 B a pod measured at 10,000 pods).
    this.pods.set(nsName(ns, name), { node: this.strings.intern(node), refs: this.strings.intern(refs.join('\n')) });
  }

  deletePod(namespace: string, name: string): void {
    const key = nsName(namespace, name);
    const e = this.pods.get(key);
    if (!e) return;
    this.pods.delete(key);
    const counts = this.byNode.get(e.node);
    if (!counts) return;
    for (const k of e.refs ? e.refs.split('\n') : []) {
      const n = (counts.get(k) ?? 0) - 1;
      if (n > 0) counts.set(k, n);
      else counts.delete(k);
    }
    if (counts.size === 0) this.byNode.delete(e.node);
  }

  /** A PV relates to nodes through its bound claim (spec.claimRef), and brings its kubelet-visible secrets along. */
  setPV(pv: KubeObject): void {
    const name = pv.metadata?.name ?? '';
    this.deletePV(name);
    const ref = specOf(pv)['claimRef'] as { namespace?: unknown; name?: unknown } | undefined;
    if (!ref || !str(ref.name)) return;
    const claim = nsName(str(ref.namespace), str(ref.name));
    const secrets = pvKubeletSecrets(pv).map((s) => nsName(s.namespace, s.name));
    this.pvs.set(name, { claim, secrets });
    addTo(this.pvsByClaim, claim, name);
    for (const s of secrets) addTo(this.pvsBySecret, s, name);
  }

  deletePV(name: string): void {
    const e = this.pvs.get(name);
    if (!e) return;
    this.pvs.delete(name);
    removeFrom(this.pvsByClaim, e.claim, name);
    for (const s of e.secrets) removeFrom(this.pvsBySecret, s, name);
  }

  /** A VolumeAttachment (spec.nodeName) or ResourceSlice (spec.nodeName) for one node; '' removes it. */
  setAttachment(kind: 'volumeattachments' | 'resourceslices', name: string, node: string): void {
    const m = kind === 'volumeattachments' ? this.attachments : this.slices;
    if (node) m.set(name, node);
    else m.delete(name);
  }

  /** Forgets every object of one kind (before a re-list). */
  clear(kind: 'pods' | 'persistentvolumes' | 'volumeattachments' | 'resourceslices'): void {
    if (kind === 'pods') {
      this.pods.clear();
      this.byNode.clear();
    } else if (kind === 'persistentvolumes') {
      this.pvs.clear();
      this.pvsByClaim.clear();
      this.pvsBySecret.clear();
    } else if (kind === 'volumeattachments') this.attachments.clear();
    else this.slices.clear();
  }

  relates(node: string, kind: NodeGraphKind, namespace: string, name: string): boolean {
    switch (kind) {
      case 'persistentvolumes': return this.pvRelates(node, name);
      case 'volumeattachments': return this.attachments.get(name) === node;
      case 'resourceslices': return this.slices.get(name) === node;
      case 'secrets': {
        if (this.byNode.get(node)?.has(refKey(kind, namespace, name))) return true;
        const pvs = this.pvsBySecret.get(nsName(namespace, name));
        if (pvs) for (const pv of pvs) if (this.pvRelates(node, pv)) return true;
        return false;
      }
      default: return this.byNode.get(node)?.has(refKey(kind, namespace, name)) === true;
    }
  }

  private pvRelates(node: string, pv: string): boolean {
    const e = this.pvs.get(pv);
    if (!e) return false;
    const slash = e.claim.indexOf('/');
    return this.byNode.get(node)?.has(refKey('persistentvolumeclaims', e.claim.slice(0, slash), e.claim.slice(slash + 1))) === true;
  }
}
