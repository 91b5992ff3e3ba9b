/**
 * What a pod or a PersistentVolume names that a kubelet must read to run it, as upstream's podutil
 * VisitPodSecretNames / VisitPodConfigmapNames and pvutil.VisitPVSecretNames: the edges of the Node authoriser's
 * graph. Pure functions over plain objects; a missing or malformed field names nothing.
 */
import type { KubeObject } from '../resource.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Upstream's MirrorPodAnnotationKey: the kubelet's copy of a static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export const isMirrorPod = (pod: KubeObject): boolean => pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;

function containersOf(spec: Obj): Obj[] {
  const out: Obj[] = [];
  for (const f of ['initContainers', 'containers', 'ephemeralContainers']) for (const c of arr(spec[f])) { const o = obj(c); if (o) out.push(o); }
  return out;
}

/** Names of the secrets a pod reads: imagePullSecrets, envFrom, env valueFrom and volumes (projected too). */
export function podSecretNames(pod: KubeObject): string[] {
  const spec = obj(pod['spec']) ?? {};
  const names = new Set<string>();
  const add = (v: unknown) => { const n = str(v); if (n) names.add(n); };
  const addRef = (ref: unknown) => add(obj(ref)?.['name']);
  for (const s of arr(spec['imagePullSecrets'])) addRef(s);
  for (const c of containersOf(spec)) {
    for (const e of arr(c['envFrom'])) addRef(obj(e)?.['secretRef']);
    for (const e of arr(c['env'])) addRef(obj(obj(e)?.['valueFrom'])?.['secretKeyRef']);
  }
  for (const v of arr(spec['volumes'])) {
    const vol = obj(v);
    if (!vol) continue;
    add(obj(vol['secret'])?.['secretName']);
    add(obj(vol['azureFile'])?.['secretName']);
    for (const kind of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos']) addRef(obj(vol[kind])?.['secretRef']);
    addRef(obj(vol['csi'])?.['nodePublishSecretRef']);
    for (const src of arr(obj(vol['projected'])?.['sources'])) addRef(obj(src)?.['secret']);
  }
  return [...names];
}

/** Names of the ConfigMaps a pod reads: envFrom, env valueFrom and volumes (projected too). */
export function podConfigMapNames(pod: KubeObject): string[] {
  const spec = obj(pod['spec']) ?? {};
  const names = new Set<string>();
  const addRef = (ref: unknown) => { const n = str(obj(ref)?.['name']); if (n) names.add(n); };
  for (const c of containersOf(spec)) {
    for (const e of arr(c['envFrom'])) addRef(obj(e)?.['configMapRef']);
    for (const e of arr(c['env'])) addRef(obj(obj(e)?.['valueFrom'])?.['configMapKeyRef']);
  }
  for (const v of arr(spec['volumes'])) {
    const vol = obj(v);
    if (!vol) continue;
    addRef(vol['configMap']);
    for (const src of arr(obj(vol['projected'])?.['sources'])) addRef(obj(src)?.['configMap']);
  }
  return [...names];
}

/** Claims a pod mounts: persistentVolumeClaim volumes and generic ephemeral volumes (`<pod>-<volume>`). */
export function podClaimNames(pod: KubeObject): string[] {
  const spec = obj(pod['spec']) ?? {};
  const podName = pod.metadata?.name ?? '';
  const names = new Set<string>();
  for (const v of arr(spec['volumes'])) {
    const vol = obj(v);
    if (!vol) continue;
    const claim = str(obj(vol['persistentVolumeClaim'])?.['claimName']);
    if (claim) names.add(claim);
    else if (obj(vol['ephemeral'])) names.add(`${podName}-${str(vol['name'])}`);
  }
  return [...names];
}

/**
 * ResourceClaims a pod uses, as upstream's resourceclaim.Name: a claim named in the spec, or the one generated
 * from a template and recorded in status.resourceClaimStatuses (none yet until the controller made it).
 */
export function podResourceClaimNames(pod: KubeObject): string[] {
  const spec = obj(pod['spec']) ?? {};
  const status = obj(pod['status']) ?? {};
  const generated = new Map<string, string>();
  for (const s of arr(status['resourceClaimStatuses'])) {
    const o = obj(s);
    if (o && str(o['name']) && str(o['resourceClaimName'])) generated.set(str(o['name']), str(o['resourceClaimName']));
  }
  const names = new Set<string>();
  for (const c of arr(spec['resourceClaims'])) {
    const o = obj(c);
    if (!o) continue;
    const direct = str(o['resourceClaimName']);
    const name = direct || (str(o['resourceClaimTemplateName']) ? generated.get(str(o['name'])) : undefined);
    if (name) names.add(name);
  }
  const extended = str(obj(status['extendedResourceClaimStatus'])?.['resourceClaimName']);
  if (extended) names.add(extended);
  return [...names];
}

/** What changes a bound pod's references: the spec is immutable once bound except for these. */
export function podReferenceFingerprint(pod: KubeObject): string {
  const status = obj(pod['status']) ?? {};
  const spec = obj(pod['spec']) ?? {};
  return JSON.stringify([pod.metadata?.uid ?? '', status['resourceClaimStatuses'] ?? null, status['extendedResourceClaimStatus'] ?? null, arr(spec['ephemeralContainers']).length]);
}

/**
 * Secrets a PersistentVolume names that the kubelet reads (upstream's kubeletVisible ones), as namespace/name;
 * secrets without their own namespace live in the bound claim's.
 */
export function pvKubeletSecrets(pv: KubeObject): { namespace: string; name: string }[] {
  const spec = obj(pv['spec']) ?? {};
  const claimNs = str(obj(spec['claimRef'])?.['namespace']);
  const out: { namespace: string; name: string }[] = [];
  const add = (ns: string, name: string) => { if (name) out.push({ namespace: ns || claimNs, name }); };
  const addRef = (ref: unknown) => { const r = obj(ref); if (r) add(str(r['namespace']), str(r['name'])); };
  const azure = obj(spec['azureFile']);
  if (azure) add(str(azure['secretNamespace']), str(azure['secretName']));
  for (const kind of ['cephfs', 'cinder', 'flexVolume', 'rbd', 'scaleIO', 'iscsi', 'storageos']) addRef(obj(spec[kind])?.['secretRef']);
  const csi = obj(spec['csi']);
  if (csi) for (const f of ['nodePublishSecretRef', 'nodeStageSecretRef', 'nodeExpandSecretRef']) addRef(csi[f]);
  return out;
}
