/**
 * The ServiceAccount admission plugin (upstream's plugin/pkg/admission/serviceaccount), on pod creation:
 * a pod without spec.serviceAccountName runs as `default`; a pod whose ServiceAccount does not exist is refused
 * (the `default` one is looked for a few times first, since the serviceaccount controller makes it just after a
 * namespace appears); unless automountServiceAccountToken is false (the pod's word wins over the ServiceAccount's),
 * every container and init container mounts a projected `kube-api-access-<5 random>` volume (a bound token the
 * kubelet requests, the cluster CA from kube-root-ca.crt, the namespace) read-only at
 * /var/run/secrets/kubernetes.io/serviceaccount; a pod without imagePullSecrets gets the ServiceAccount's.
 * Mirror pods are left alone and may not name a ServiceAccount.
 */
import type { KubeObject } from '../resource.js';
import { forbidden } from '../status.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { EngineLike } from './webhooks.js';
import { cachedObjects } from '../watch/cached-objects.js';

export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_VOLUME_NAME = 'kube-api-access';
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** What the projected token asks for: an hour and 7 s, the mark the server extends (claims.ts). */
export const TOKEN_VOLUME_EXPIRATION_SECONDS = 3607;

export interface ServiceAccountSource {
  serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined>;
}

type Obj = Record<string, unknown>;
type Container = { volumeMounts?: Array<{ name?: string; readOnly?: boolean; mountPath?: string }> } & Obj;

/** utilrand.String's alphabet (no vowels, no confusable digits). */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
export function randomSuffix(n = 5): string {
  // A plain loop: this runs on every pod create, and Array.from + join cost a few µs each time.
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return out;
}

/** The projected volume source upstream's TokenVolumeSource() makes. */
export function tokenVolumeSource(): Obj {
  return {
    sources: [
      { serviceAccountToken: { expirationSeconds: TOKEN_VOLUME_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 0o644,
  };
}

/** upstream's shouldAutomount: the pod's preference, then the ServiceAccount's, then yes. */
export function shouldAutomount(sa: KubeObject, pod: KubeObject): boolean {
  const podPref = (pod['spec'] as Obj | undefined)?.['automountServiceAccountToken'];
  if (typeof podPref === 'boolean') return podPref;
  const saPref = sa['automountServiceAccountToken'];
  if (typeof saPref === 'boolean') return saPref;
  return true;
}

/**
 * Mounts the token volume into every container without something at the mount path already, and adds the volume
 * (reusing an existing kube-api-access-* one) when any container needed it. Mutates `pod`.
 */
export function mountServiceAccountToken(pod: KubeObject, suffix: () => string = randomSuffix): void {
  const spec = (pod['spec'] ??= {}) as Obj;
  const volumes = (Array.isArray(spec['volumes']) ? spec['volumes'] : []) as Array<Obj & { name?: string }>;
  let volumeName = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith(`${SERVICE_ACCOUNT_VOLUME_NAME}-`))?.name;
  const hasVolume = volumeName !== undefined;
  volumeName ??= `${SERVICE_ACCOUNT_VOLUME_NAME}-${suffix()}`;
  let needed = false;
  for (const field of ['initContainers', 'containers'] as const) {
    const containers = spec[field];
    if (!Array.isArray(containers)) continue;
    for (const c of containers as Container[]) {
      const mounts = c.volumeMounts ?? [];
      if (mounts.some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH }];
      needed = true;
    }
  }
  if (!hasVolume && needed) spec['volumes'] = [...volumes, { name: volumeName, projected: tokenVolumeSource() }];
}

/** The pod's changes for its ServiceAccount (default name already set); mutates `pod`. */
export function admitPodServiceAccount(pod: KubeObject, sa: KubeObject, suffix: () => string = randomSuffix): void {
  if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod, suffix);
  const spec = pod['spec'] as Obj;
  const pull = spec['imagePullSecrets'];
  if (!Array.isArray(pull) || pull.length === 0) {
    const saPull = Array.isArray(sa['imagePullSecrets']) ? (sa['imagePullSecrets'] as Obj[]) : [];
    if (saPull.length) spec['imagePullSecrets'] = saPull.map((r) => ({ ...r }));
  }
}

export interface ServiceAccountAdmissionOptions {
  /** Random volume-name suffixes (tests pin them). */
  suffix?: () => string;
  /** Waits between looks for the `default` ServiceAccount (upstream: 10 attempts, 100–200 ms apart). */
  sleep?: (ms: number) => Promise<void>;
  defaultAttempts?: number;
}

const isPods = (a: AdmissionTarget) => a.resource.group === '' && a.resource.plural === 'pods' && a.subresource === '';

export class ServiceAccountAdmission implements Admission {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly source: ServiceAccountSource, private readonly o: ServiceAccountAdmissionOptions = {}) {
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** The ServiceAccount, looked for again a few times when it is `default` (the controller may not have made it yet). */
  private async lookup(namespace: string, name: string): Promise<KubeObject | undefined> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT_NAME ? (this.o.defaultAttempts ?? 10) : 1;
    const interval = 100 + Math.floor(Math.random() * 100);
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await this.sleep(interval);
      const sa = await this.source.serviceAccount(namespace, name);
      if (sa) return sa;
    }
    return undefined;
  }

  /** Pod creates only, and only to mutate. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return phase === 'admit' && isPods(t) && t.operation === 'CREATE';
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    if (!isPods(a) || a.operation !== 'CREATE' || !a.object) return a.object;
    const pod = a.object;
    const spec = (pod['spec'] ??= {}) as Obj;
    const gr = { group: '', resource: 'pods' };
    if (pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      if (typeof spec['serviceAccountName'] === 'string' && spec['serviceAccountName'] !== '') {
        throw forbidden(gr, a.name, 'a mirror pod may not reference service accounts');
      }
      return pod;
    }
    if (typeof spec['serviceAccountName'] !== 'string' || spec['serviceAccountName'] === '') {
      // The deprecated spec.serviceAccount names it when serviceAccountName does not (upstream's v1 conversion).
      const alias = spec['serviceAccount'];
      spec['serviceAccountName'] = typeof alias === 'string' && alias !== '' ? alias : DEFAULT_SERVICE_ACCOUNT_NAME;
    }
    const saName = spec['serviceAccountName'] as string;
    const ns = a.namespace ?? pod.metadata?.namespace ?? '';
    const sa = await this.lookup(ns, saName);
    if (!sa) throw forbidden(gr, a.name, `error looking up service account ${ns}/${saName}: serviceaccount "${saName}" not found`);
    admitPodServiceAccount(pod, sa, this.o.suffix);
    return pod;
  }

  async validate(): Promise<void> {}
}

/** ServiceAccounts from the engine's watch cache (what upstream's plugin reads from its informer). */
export function engineServiceAccountSource(engine: EngineLike): ServiceAccountSource {
  const serviceAccounts = cachedObjects(engine, '', 'v1', 'serviceaccounts');
  return { serviceAccount: (namespace, name) => serviceAccounts.get(namespace, name) };
}
