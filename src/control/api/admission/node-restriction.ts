/**
 * The NodeRestriction admission plugin (upstream's plugin/pkg/admission/noderestriction): what the Node
 * authoriser lets every node do is narrowed here to the node's own objects. A node may change only its own Node
 * (not its taints, nor labels outside the kubelet's set, nor any node-restriction.kubernetes.io label), create
 * only mirror pods bound to and owned by itself that name no secret, configmap, claim or service account, update
 * the status of and delete or evict only pods bound to itself, touch only its own Lease in kube-node-lease and
 * CSINode, request tokens only for pods bound to itself, and update only the status of claims. Refusals are 403
 * Forbidden with upstream's messages. Users that are not nodes pass at the cost of one string check.
 */
import type { KubeObject } from '../resource.js';
import { forbidden, notFound } from '../status.js';
import { NODE_LEASE_NAMESPACE } from '../authz/node-authorizer.js';
import { nodeIdentity } from '../authz/node-identity.js';
import { MIRROR_POD_ANNOTATION, podConfigMapNames, podSecretNames } from '../authz/node-references.js';
import type { Admission, AdmissionAttributes } from './types.js';
import type { EngineLike } from './webhooks.js';
import { cachedObjects } from '../watch/cached-objects.js';

/** The objects the plugin reads (upstream's pod and node listers). */
export interface NodeRestrictionSource {
  pod(namespace: string, name: string): Promise<KubeObject | undefined>;
  node(name: string): Promise<KubeObject | undefined>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const nodeNameOf = (o: KubeObject | null | undefined): string => str(obj(o?.['spec'])['nodeName']);

/** Equality as upstream's semantic DeepEqual: an empty list or map equals an absent one. */
function sameValue(a: unknown, b: unknown): boolean {
  const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  if (empty(a) && empty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameValue((a as Obj)[k], (b as Obj)[k])) return false;
    return true;
  }
  return a === b;
}

// The kubelet's own labels (k8s.io/kubelet's IsKubeletLabel): these and the kubelet.kubernetes.io and
// node.kubernetes.io namespaces are the only kubernetes.io/k8s.io labels a node may set.
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type', 'kubernetes.io/os',
  'kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/arch',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

const labelNamespace = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

export function isKubeletLabel(key: string): boolean {
  if (KUBELET_LABELS.has(key)) return true;
  const ns = labelNamespace(key);
  return KUBELET_LABEL_NAMESPACES.some((d) => inNamespace(ns, d));
}

/** Label keys added, removed or changed between two label maps. */
export function modifiedLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(a ?? {})) if (b?.[k] !== v) out.add(k);
  for (const [k, v] of Object.entries(b ?? {})) if (a?.[k] !== v) out.add(k);
  return [...out];
}

/** Of the modified labels, those a node may not set: node-restriction ones and unknown kubernetes.io/k8s.io ones. */
export function forbiddenNodeLabels(modified: readonly string[]): string[] {
  const out: string[] = [];
  for (const k of modified) {
    const ns = labelNamespace(k);
    if (inNamespace(ns, NODE_RESTRICTION_NAMESPACE)) out.push(k);
    else if ((inNamespace(ns, 'kubernetes.io') || inNamespace(ns, 'k8s.io')) && !isKubeletLabel(k)) out.push(k);
  }
  return [...new Set(out)].sort();
}

const is = (a: AdmissionAttributes, group: string, plural: string) => a.resource.group === group && a.resource.plural === plural;

export class NodeRestriction implements Admission {
  constructor(private readonly source: NodeRestrictionSource) {}

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    // Cheap first: only node identities are this plugin's business, and CONNECT is not (upstream's handler).
    const node = nodeIdentity(a.user);
    if (node === undefined || a.operation === 'CONNECT') return a.object;
    const refuse = (why: string) => forbidden({ group: a.resource.group, resource: a.resource.plural }, a.name, why);
    if (node === '') throw refuse(`could not determine node from user "${a.user?.name ?? ''}"`);
    if (is(a, '', 'pods')) {
      if (a.subresource === '') await this.pod(node, a, refuse);
      else if (a.subresource === 'status') this.podStatus(node, a, refuse);
      else if (a.subresource === 'eviction') await this.podEviction(node, a, refuse);
      else throw refuse(`unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
    } else if (is(a, '', 'nodes')) this.node(node, a, refuse);
    else if (is(a, '', 'persistentvolumeclaims')) {
      if (a.subresource !== 'status') throw refuse('may only update PVC status');
      this.pvcStatus(node, a, refuse);
    } else if (is(a, '', 'serviceaccounts')) await this.serviceAccountToken(node, a, refuse);
    else if (is(a, 'coordination.k8s.io', 'leases')) this.lease(node, a, refuse);
    else if (is(a, 'storage.k8s.io', 'csinodes')) {
      const name = a.operation === 'CREATE' ? (a.object?.metadata?.name ?? '') : a.name;
      if (name !== node) throw refuse('can only access CSINode with the same name as the requesting node');
    } else if (is(a, 'resource.k8s.io', 'resourceslices')) this.resourceSlice(node, a, refuse);
    return a.object;
  }

  async validate(): Promise<void> {}

  private async pod(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): Promise<void> {
    if (a.operation === 'CREATE') return this.mirrorPod(node, a.object!, refuse);
    if (a.operation === 'DELETE') {
      const existing = a.oldObject ?? (await this.source.pod(a.namespace ?? '', a.name));
      if (!existing) throw notFound({ group: '', resource: 'pods' }, a.name);
      if (nodeNameOf(existing) !== node) throw refuse(`node "${node}" can only delete pods with spec.nodeName set to itself`);
      return;
    }
    throw refuse(`unexpected operation "${a.operation}", node "${node}" can only create and delete mirror pods`);
  }

  private async mirrorPod(node: string, pod: KubeObject, refuse: (why: string) => Error): Promise<void> {
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      throw refuse(`pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    }
    if (nodeNameOf(pod) !== node) throw refuse(`node "${node}" can only create pods with spec.nodeName set to itself`);
    const owners = pod.metadata?.ownerReferences ?? [];
    if (owners.length > 1) throw refuse(`node "${node}" can only create pods with a single owner reference set to itself`);
    const owner = owners[0];
    if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) {
      throw refuse(`node "${node}" can only create pods with an owner reference set to itself`);
    }
    if (owner.controller !== true) throw refuse(`node "${node}" can only create pods with a controller owner reference set to itself`);
    if (owner.blockOwnerDeletion === true) throw refuse(`node "${node}" must not set blockOwnerDeletion on an owner reference`);
    const self = await this.source.node(node);
    if (!self) throw notFound({ group: '', resource: 'nodes' }, node);
    if (owner.uid !== self.metadata?.uid) throw refuse(`node ${node} UID mismatch: expected ${owner.uid} got ${self.metadata?.uid ?? ''}`);
    const spec = obj(pod['spec']);
    if (str(spec['serviceAccountName'])) throw refuse(`node "${node}" can not create pods that reference a service account`);
    if (podSecretNames(pod).length) throw refuse(`node "${node}" can not create pods that reference secrets`);
    if (podConfigMapNames(pod).length) throw refuse(`node "${node}" can not create pods that reference configmaps`);
    const volumes = arr(spec['volumes']).map(obj);
    if (volumes.some((v) => arr(obj(v['projected'])['sources']).some((s) => obj(s)['clusterTrustBundle'] !== undefined))) {
      throw refuse(`node "${node}" can not create pods that reference clustertrustbundles`);
    }
    if (volumes.some((v) => v['persistentVolumeClaim'] !== undefined)) throw refuse(`node "${node}" can not create pods that reference persistentvolumeclaims`);
  }

  private podStatus(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation "${a.operation}"`);
    if (nodeNameOf(a.oldObject) !== node) throw refuse(`node "${node}" can only update pod status for pods with spec.nodeName set to itself`);
    if (!sameValue(a.oldObject?.metadata?.labels, a.object?.metadata?.labels)) throw refuse(`node "${node}" cannot update labels through pod status`);
    const claims = (o: KubeObject | null) => arr(obj(o?.['status'])['resourceClaimStatuses']).map((s) => [str(obj(s)['name']), obj(s)['resourceClaimName'] ?? null]);
    if (!sameValue(claims(a.oldObject), claims(a.object))) throw refuse(`node "${node}" cannot update resource claim statues`);
  }

  private async podEviction(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): Promise<void> {
    if (a.operation !== 'CREATE') throw refuse(`unexpected operation ${a.operation}`);
    const podName = a.name || (a.object?.metadata?.name ?? '');
    if (!podName) throw refuse('could not determine pod from request data');
    const pod = await this.source.pod(a.namespace ?? '', podName);
    if (!pod) throw notFound({ group: '', resource: 'pods' }, podName);
    if (nodeNameOf(pod) !== node) throw refuse(`node ${node} can only evict pods with spec.nodeName set to itself`);
  }

  private node(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    const requested = a.operation === 'CREATE' ? (a.object?.metadata?.name ?? a.name) : a.name;
    if (requested !== node) throw refuse(`node "${node}" is not allowed to modify node "${requested}"`);
    const spec = obj(a.object?.['spec']);
    if (a.operation === 'CREATE') {
      if (spec['configSource'] !== undefined && spec['configSource'] !== null) {
        throw refuse(`node "${node}" is not allowed to create pods with a non-nil configSource`);
      }
      const bad = forbiddenNodeLabels(modifiedLabels(a.object?.metadata?.labels, undefined));
      if (bad.length) throw refuse(`node "${node}" is not allowed to set the following labels: ${bad.join(', ')}`);
    } else if (a.operation === 'UPDATE') {
      const oldSpec = obj(a.oldObject?.['spec']);
      if (spec['configSource'] !== undefined && spec['configSource'] !== null && !sameValue(spec['configSource'], oldSpec['configSource'])) {
        throw refuse(`node "${node}" is not allowed to update configSource to a new non-nil configSource`);
      }
      if (!sameValue(spec['taints'], oldSpec['taints'])) throw refuse(`node "${node}" is not allowed to modify taints`);
      const bad = forbiddenNodeLabels(modifiedLabels(a.object?.metadata?.labels, a.oldObject?.metadata?.labels));
      if (bad.length) throw refuse(`is not allowed to modify labels: ${bad.join(', ')}`);
    }
  }

  private pvcStatus(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation !== 'UPDATE') throw refuse(`unexpected operation "${a.operation}"`);
    // Only status.capacity, status.conditions and the expansion-recovery fields may change.
    const strip = (o: KubeObject | null): Obj => {
      const c = structuredClone(o ?? {}) as Obj;
      const meta = obj(c['metadata']);
      delete meta['resourceVersion'];
      delete meta['managedFields'];
      const status = obj(c['status']);
      for (const f of ['capacity', 'conditions', 'allocatedResources', 'allocatedResourceStatuses']) delete status[f];
      return c;
    };
    const before = strip(a.oldObject);
    const after = strip(a.object);
    if (!sameValue(before, after)) {
      const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => !sameValue(before[k], after[k]));
      throw refuse(`node "${node}" is not allowed to update fields other than status.capacity and status.conditions: ${changed.join(', ')} changed`);
    }
  }

  private async serviceAccountToken(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): Promise<void> {
    if (a.operation !== 'CREATE' || a.subresource !== 'token') return;
    const ref = obj(obj(a.object?.['spec'])['boundObjectRef']);
    if (ref['apiVersion'] !== 'v1' || ref['kind'] !== 'Pod' || !str(ref['name'])) throw refuse('node requested token not bound to a pod');
    if (!str(ref['uid'])) throw refuse('node requested token with a pod binding without a uid');
    const pod = await this.source.pod(a.namespace ?? '', str(ref['name']));
    if (!pod) throw notFound({ group: '', resource: 'pods' }, str(ref['name']));
    if (ref['uid'] !== pod.metadata?.uid) {
      throw refuse(`the UID in the bound object reference (${str(ref['uid'])}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (nodeNameOf(pod) !== node) throw refuse('node requested token bound to a pod scheduled on a different node');
  }

  private lease(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.namespace !== NODE_LEASE_NAMESPACE) throw refuse(`can only access leases in the "${NODE_LEASE_NAMESPACE}" system namespace`);
    const name = a.operation === 'CREATE' ? (a.object?.metadata?.name ?? '') : a.name;
    if (name !== node) throw refuse('can only access node lease with the same name as the requesting node');
  }

  private resourceSlice(node: string, a: AdmissionAttributes, refuse: (why: string) => Error): void {
    if (a.operation === 'CREATE' && nodeNameOf(a.object) !== node) throw refuse('can only create ResourceSlice with the same NodeName as the requesting node');
    if (a.operation === 'DELETE' && nodeNameOf(a.oldObject) !== node) throw refuse('can only delete ResourceSlice with the same NodeName as the requesting node');
  }
}

/** Pods and Nodes from the engine's watch caches (what upstream's plugin reads from its informers). */
export function engineNodeRestrictionSource(engine: EngineLike): NodeRestrictionSource {
  const pods = cachedObjects(engine, '', 'v1', 'pods');
  const nodes = cachedObjects(engine, '', 'v1', 'nodes');
  return { pod: (ns, name) => pods.get(ns, name), node: (name) => nodes.get(undefined, name) };
}
