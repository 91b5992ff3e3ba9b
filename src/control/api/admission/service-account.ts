/**
 * The ServiceAccount admission plugin (upstream's plugin/pkg/admission/serviceaccount), on pod creation:
 * a pod without spec.serviceAccountName runs as `default`; a pod whose ServiceAccount does not exist is refused
 * (the `default` one is looked for a few times first, since the serviceaccount controller makes it just after a
 * namespace appears); unless automountServiceAccountToken is false (the pod's word wins over the ServiceAccount's),
 * every container and init container mounts a projected `kube-api-access-<5 characters>` volume (a bound token the
 * kubelet requests, the cluster CA from kube-root-ca.crt, the namespace) read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount; a pod without imagePullSecrets gets the ServiceAccount's.
 * Mirror pods are left alone and may not name a ServiceAccount.
 */
import type { KubeObject } from '../resource.js';
import { forbidden } from '../status.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { EngineLike } from './webhooks.js';
import { cachedObjects } from '../watch/cached-objects.js';
import { shareJson } from '../shared-json.js';
import { flatString } from '../../../client/flat-string.js';
import { fnv32aString } from '../../../client/fnv.js';
import { SAFE_ALPHANUMS } from '../../../client/safe-alphabet.js';

export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_VOLUME_NAME = 'kube-api-access';
const VOLUME_PREFIX = `${SERVICE_ACCOUNT_VOLUME_NAME}-`;
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** What the projected token asks for: an hour and 7 s, the mark the server extends (claims.ts). */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;

export interface ServiceAccountSource {
  serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** The ServiceAccount when the source can tell without waiting (a fresh cache), else undefined. */
  serviceAccountNow?(namespace: string, name: string): KubeObject | undefined;
}

type Obj = Record<string, unknown>;
type Container = { volumeMounts?: Array<{ name?: string; readOnly?: boolean; mountPath?: string }> } & Obj;

/**
 * The token volume's name suffix for pods of this ServiceAccount: 5 characters of utilrand's alphabet from the
 * name's FNV-1a hash. Upstream draws them at random for each pod; then each pod's containers were unique to it
 * (each mounts its own volume name), so no cache could keep a ReplicaSet's equal containers once: the watch cache
 * held ~450 B more a pod than without the volume (~20 B now that it shares the lists: shared-values.ts), and every
 * informer's share-parts table walked them anew. A name cannot collide with one of the pod's own volumes: one
 * already named kube-api-access-* is the token volume (mountServiceAccountToken).
 */
export function volumeSuffix(serviceAccountName: string, n = 5): string {
  let h = fnv32aString(serviceAccountName);
  let out = '';
  for (let i = 0; i < n; i++) {
    out += SAFE_ALPHANUMS[h % SAFE_ALPHANUMS.length];
    h = Math.floor(h / SAFE_ALPHANUMS.length);
  }
  return out;
}

/** Volume names by ServiceAccount name, made once: one flat string every pod of the account holds. */
const volumeNames = new Map<string, string>();
const MAX_VOLUME_NAMES = 4096;

function tokenVolumeName(serviceAccountName: string, suffix: (serviceAccountName: string) => string): string {
  if (suffix !== volumeSuffix) return VOLUME_PREFIX + suffix(serviceAccountName);
  let name = volumeNames.get(serviceAccountName);
  if (name === undefined) {
    if (volumeNames.size >= MAX_VOLUME_NAMES) volumeNames.clear();
    // Flattened here (a concatenation is a rope, which the name checks would flatten on every pod).
    volumeNames.set(serviceAccountName, (name = flatString(VOLUME_PREFIX + suffix(serviceAccountName))));
  }
  return name;
}

/**
 * The projected volume source upstream's TokenVolumeSource() makes: one deep-frozen object that every pod's
 * volume shares, since it is the same for all of them. Each pod otherwise carried 13 objects of its own from
 * admission through storage into the watch cache, which keeps every pod (allocation, young-generation copies,
 * old-generation marking on every secure pod create). Frozen, so no holder can change it for the others; the
 * watch cache's slimming skips frozen values, and copies (webhook patches, cloneJson, decoding) are ordinary.
 * Its JSON is made once too: the stored form's encoder splices it into each pod's text (shared-json.ts).
 */
const TOKEN_VOLUME_SOURCE: Obj = shareJson({
  sources: [
    { serviceAccountToken: { expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS, path: 'token' } },
    { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
    { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
  ],
  defaultMode: 0o644,
});

export function tokenVolumeSource(): Obj {
  return TOKEN_VOLUME_SOURCE;
}

/** upstream's shouldAutomount: the pod's preference, then the ServiceAccount's, then yes. */
export function shouldAutomount(sa: KubeObject, pod: KubeObject): boolean {
  const podPref = (pod['spec'] as Obj | undefined)?.['automountServiceAccountToken'];
  if (typeof podPref === 'boolean') return podPref;
  const saPref = sa['automountServiceAccountToken'];
  if (typeof saPref === 'boolean') return saPref;
  return true;
}

const CONTAINER_FIELDS = ['initContainers', 'containers'] as const;

/** Whether a container mounts something at the token's path already. */
function mountsTokenPath(mounts: Container['volumeMounts']): boolean {
  if (!mounts) return false;
  for (const m of mounts) if (m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH) return true;
  return false;
}

/**
 * Mounts the token volume into every container without something at the mount path already, and adds the volume
 * (reusing an existing kube-api-access-* one) when any container needed it. Mutates `pod`. Plain loops: this runs
 * on every pod create.
 */
export function mountServiceAccountToken(pod: KubeObject, serviceAccountName: string, suffix: (serviceAccountName: string) => string = volumeSuffix): void {
  const spec = (pod['spec'] ??= {}) as Obj;
  const volumes = (Array.isArray(spec['volumes']) ? spec['volumes'] : []) as Array<Obj & { name?: string }>;
  let volumeName: string | undefined;
  for (const v of volumes) {
    if (typeof v.name === 'string' && v.name.startsWith(VOLUME_PREFIX)) {
      volumeName = v.name;
      break;
    }
  }
  const hasVolume = volumeName !== undefined;
  volumeName ??= tokenVolumeName(serviceAccountName, suffix);
  let needed = false;
  for (const field of CONTAINER_FIELDS) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Container[]) {
      if (mountsTokenPath(c.volumeMounts)) continue;
      const mount = { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH };
      c.volumeMounts = c.volumeMounts ? [...c.volumeMounts, mount] : [mount];
      needed = true;
    }
  }
  if (!hasVolume && needed) spec['volumes'] = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
}

/** The pod's changes for its ServiceAccount (default name already set); mutates `pod`. */
export function admitPodServiceAccount(pod: KubeObject, sa: KubeObject, suffix: (serviceAccountName: string) => string = volumeSuffix): void {
  if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod, sa.metadata?.name ?? DEFAULT_SERVICE_ACCOUNT_NAME, suffix);
  const spec = pod['spec'] as Obj;
  const pull = spec['imagePullSecrets'];
  if (!Array.isArray(pull) || pull.length === 0) {
    const saPull = Array.isArray(sa['imagePullSecrets']) ? (sa['imagePullSecrets'] as Obj[]) : [];
    if (saPull.length) spec['imagePullSecrets'] = saPull.map((r) => ({ ...r }));
  }
}

export interface ServiceAccountAdmissionOptions {
  /** The token volume's name suffix for a ServiceAccount's pods (default volumeSuffix; tests pin it). */
  suffix?: (serviceAccountName: string) => string;
  /** Waits between looks for the `default` ServiceAccount (upstream: 10 attempts, 100–200 ms apart). */
  sleep?: (ms: number) => Promise<void>;
  defaultAttempts?: number;
}

const PODS = { group: '', resource: 'pods' };
const isPods = (a: AdmissionTarget) => a.resource.group === '' && a.resource.plural === 'pods' && a.subresource === '';

export class ServiceAccountAdmission implements Admission {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly source: ServiceAccountSource, private readonly o: ServiceAccountAdmissionOptions = {}) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The ServiceAccount, looked for again a few times when it is `default` (the controller may not have made it yet). */
  private async lookup(namespace: string, name: string): Promise<KubeObject | undefined> {
    const sa = await this.source.serviceAccount(namespace, name);
    if (sa || name !== DEFAULT_SERVICE_ACCOUNT_NAME) return sa;
    const attempts = this.o.defaultAttempts ?? 10;
    const interval = 100 + Math.floor(Math.random() * 100);
    for (let i = 1; i < attempts; i++) {
      await this.sleep(interval);
      const again = await this.source.serviceAccount(namespace, name);
      if (again) return again;
    }
    return undefined;
  }

  /** Pod creates only, and only to mutate. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return phase === 'admit' && isPods(t) && t.operation === 'CREATE';
  }

  /** Synchronous while the ServiceAccount is found at once (nearly always); otherwise the lookup waits and retries. */
  admit(a: AdmissionAttributes): KubeObject | null | Promise<KubeObject | null> {
    if (!isPods(a) || a.operation !== 'CREATE' || !a.object) return a.object;
    const pod = a.object;
    const spec = (pod['spec'] ??= {}) as Obj;
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      if (typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName'] !== '') {
        // A refusal is a rejected promise, as from any plugin (callers may not expect a synchronous throw).
        return Promise.reject(forbidden(PODS, a.name, 'a mirror pod may not reference service accounts'));
      }
      return pod;
    }
    if (typeof spec['serviceAccountName'] !== 'string' || spec['serviceAccountName'] === '') {
      // The deprecated spec.serviceAccount names it when serviceAccountName does not (upstream's v1 conversion).
      const alias = spec['serviceAccount'];
      spec['serviceAccountName'] = typeof alias === 'string' && alias !== '' ? alias : DEFAULT_SERVICE_ACCOUNT_NAME;
    }
    const saName = spec['serviceAccountName'] as string;
    // As upstream's output conversion: the deprecated alias repeats the name the plugin settled on.
    spec['serviceAccount'] = saName;
    const ns = a.namespace ?? pod.metadata?.namespace ?? '';
    const sa = this.source.serviceAccountNow?.(ns, saName);
    if (sa) {
      admitPodServiceAccount(pod, sa, this.o.suffix);
      return pod;
    }
    return this.lookup(ns, saName).then((found) => {
      if (!found) throw forbidden(PODS, a.name, `error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`);
      admitPodServiceAccount(pod, found, this.o.suffix);
      return pod;
    });
  }

  async validate(): Promise<void> {}
}

/** ServiceAccounts from the engine's watch cache (what upstream's plugin reads from its informer). */
export function engineServiceAccountSource(engine: EngineLike): ServiceAccountSource {
  const serviceAccounts = cachedObjects(engine, '', 'v1', 'serviceaccounts');
  return {
    serviceAccount: (namespace, name) => serviceAccounts.get(namespace, name),
    serviceAccountNow: (namespace, name) => serviceAccounts.getNow(namespace, name)?.object,
  };
}
