/**
 * What each API-data volume holds, as files (kubelet: configmap.MakePayload, secret.MakePayload,
 * downwardapi.CollectData, projected collectData). Pure over the fetched objects; the atomic writer puts them on disk.
 */
import type {
  ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, Secret,
} from 'kubernetes-types/core/v1.js';
import type { FileProjection, Payload } from './atomic-writer.js';
import { cleanPath } from './atomic-writer.js';
import { extractFieldPathAsString, resourceFieldValue } from './fieldpath.js';

export const DEFAULT_MODE = 0o644;

/** utilerrors.Aggregate's message: one error as itself, several as `[a, b]` (duplicates once). */
export function aggregateMessage(errors: readonly string[]): string {
  const uniq = [...new Set(errors)];
  return uniq.length === 1 ? uniq[0]! : '[' + uniq.join(', ') + ']';
}

function fromKeys(
  all: Map<string, Buffer>,
  items: readonly KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  missing: (key: string) => string,
): Payload {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, data] of all) payload.set(k, { data, mode: defaultMode });
    return payload;
  }
  for (const item of items) {
    const data = all.get(item.key);
    if (data === undefined) {
      if (optional) continue;
      throw new Error(missing(item.key));
    }
    payload.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return payload;
}

/** configmap.MakePayload: data and binaryData (a key in data wins). */
export function configMapPayload(cm: ConfigMap, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean): Payload {
  const all = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) all.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(cm.data ?? {})) all.set(k, Buffer.from(v, 'utf8'));
  return fromKeys(all, items, defaultMode, optional, (k) => `configmap references non-existent config key: ${k}`);
}

/** secret.MakePayload (data is base64 on the wire). */
export function secretPayload(s: Secret, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean): Payload {
  const all = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) all.set(k, Buffer.from(v, 'base64'));
  return fromKeys(all, items, defaultMode, optional, (k) => `references non-existent secret key: ${k}`);
}

/** downwardapi.CollectData: every item is tried; the errors come back together. */
export function downwardAPIPayload(
  items: readonly DownwardAPIVolumeFile[] | undefined,
  pod: Pod,
  allocatable: Record<string, string>,
  defaultMode: number,
): { payload: Payload; errors: string[] } {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items ?? []) {
    const f: FileProjection = { data: Buffer.alloc(0), mode: item.mode ?? defaultMode };
    try {
      if (item.fieldRef) f.data = Buffer.from(extractFieldPathAsString(pod, item.fieldRef.fieldPath));
      else if (item.resourceFieldRef) f.data = Buffer.from(resourceFieldValue(item.resourceFieldRef, pod, undefined, allocatable));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
    payload.set(cleanPath(item.path), f);
  }
  return { payload, errors };
}

/** A bound service account token for a projected volume's serviceAccountToken source. */
export interface TokenRequest {
  namespace: string;
  serviceAccountName: string;
  audiences: string[];
  expirationSeconds?: number;
  boundPod: { name: string; uid: string };
}
export type TokenProvider = (req: TokenRequest) => Promise<string>;

export interface ProjectedInputs {
  configMap(name: string): Promise<ConfigMap | undefined>;
  secret(name: string): Promise<Secret | undefined>;
  allocatable: Record<string, string>;
  token?: TokenProvider;
  /** pod.spec.securityContext fsGroup/runAsUser set: tokens are written 0600, as upstream does before ownership. */
  fsOwned: boolean;
}

/** projected collectData: sources in order (a later one overwrites a path), every failure collected. */
export async function projectedPayload(pod: Pod, src: ProjectedVolumeSource, inputs: ProjectedInputs): Promise<{ payload: Payload; errors: string[] }> {
  const defaultMode = src.defaultMode ?? DEFAULT_MODE;
  const payload: Payload = new Map();
  const errors: string[] = [];
  const ns = pod.metadata?.namespace ?? 'default';
  const merge = (p: Payload) => {
    for (const [k, v] of p) payload.set(k, v);
  };
  for (const source of src.sources ?? []) {
    try {
      if (source.secret) {
        const optional = source.secret.optional === true;
        const name = source.secret.name ?? '';
        let s = await inputs.secret(name);
        if (!s) {
          if (!optional) throw new Error(`secret "${name}" not found`);
          s = { metadata: { namespace: ns, name } };
        }
        merge(secretPayload(s, source.secret.items, defaultMode, optional));
      } else if (source.configMap) {
        const optional = source.configMap.optional === true;
        const name = source.configMap.name ?? '';
        let cm = await inputs.configMap(name);
        if (!cm) {
          if (!optional) throw new Error(`configmap "${name}" not found`);
          cm = { metadata: { namespace: ns, name } };
        }
        merge(configMapPayload(cm, source.configMap.items, defaultMode, optional));
      } else if (source.downwardAPI) {
        const r = downwardAPIPayload(source.downwardAPI.items, pod, inputs.allocatable, defaultMode);
        if (r.errors.length > 0) {
          errors.push(aggregateMessage(r.errors));
          continue;
        }
        merge(r.payload);
      } else if (source.serviceAccountToken) {
        // Without a token provider the source is left out (documented: no TokenRequest client on this node).
        if (!inputs.token) continue;
        const tp = source.serviceAccountToken;
        const token = await inputs.token({
          namespace: ns,
          serviceAccountName: pod.spec?.serviceAccountName || 'default',
          audiences: tp.audience ? [tp.audience] : [],
          expirationSeconds: tp.expirationSeconds,
          boundPod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
        });
        payload.set(tp.path, { data: Buffer.from(token), mode: inputs.fsOwned ? 0o600 : defaultMode });
      }
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { payload, errors };
}
