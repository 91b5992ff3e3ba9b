/**
 * A container's environment as the kubelet builds it (makeEnvironmentVariables) and the runtime then lays it
 * over the image's (containerd: default PATH, HOSTNAME, image env, container env; a later key replaces an
 * earlier one in place). Errors are what the kubelet reports as CreateContainerConfigError.
 */
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../client/types.js';
import { expand, mappingFuncFor } from './expansion.js';
import { podFieldSelectorRuntimeValue, resourceFieldValue } from './fieldpath.js';
import { isEnvVarName } from '../../../client/env-var-name.js';
import { serviceEnvMap } from './service-env.js';
import { VolumeError, type ObjectSource } from './types.js';

export interface EnvOptions {
  /** status.podIPs of the sandbox (first is status.podIP). */
  podIPs: string[];
  /** The node's InternalIPs (status.hostIP / hostIPs). */
  hostIPs: string[];
  /** Node allocatable (quantity strings): the resourceFieldRef value of a limit the container does not set. */
  allocatable: Record<string, string>;
  /** Every Service the node knows (all namespaces); undefined = none known yet (no service variables at all). */
  services?: readonly KubeObject[];
  /** The pod's hostname: the runtime's HOSTNAME variable (under the image's and the container's). */
  hostname?: string;
  /**
   * RelaxedEnvironmentVariableValidation: accept any envFrom key. Off by default: keys that are not C-ish
   * identifiers are skipped with an InvalidEnvironmentVariableNames warning, as kubelets up to 1.33 do.
   */
  relaxedEnvVarNames?: boolean;
}

export interface EnvWarning {
  reason: 'InvalidEnvironmentVariableNames';
  message: string;
}

export interface ResolvedEnv {
  /** makeEnvironmentVariables' result in order: envFrom and env, then service variables not already set. */
  vars: Map<string, string>;
  /** The OCI process env (`KEY=value`): default PATH, HOSTNAME, image env, then `vars`. */
  env: string[];
  /** Events the kubelet would record on the pod (Warning). */
  warnings: EnvWarning[];
}

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** containerd's replaceOrAppendEnvValues: overrides replace a same-named entry in place or are appended; `KEY` alone unsets. */
export function mergeEnv(defaults: readonly string[], overrides: readonly string[]): string[] {
  const results: (string | null)[] = [];
  const index = new Map<string, number>();
  for (const e of defaults) {
    index.set(cut(e), results.length);
    results.push(e);
  }
  for (const e of overrides) {
    const k = cut(e);
    const at = index.get(k);
    if (!e.includes('=')) {
      if (at !== undefined) results[at] = null;
      continue;
    }
    if (at !== undefined) results[at] = e;
    else {
      index.set(k, results.length);
      results.push(e);
    }
  }
  return results.filter((e): e is string => e !== null);
}

function cut(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

function decode(b64: string): string {
  return Buffer.from(b64, 'base64').toString('utf8');
}

async function fetchObject(source: ObjectSource, kind: 'configmap' | 'secret', ns: string, name: string): Promise<KubeObject | undefined> {
  try {
    return kind === 'configmap' ? await source.configMap(ns, name) : await source.secret(ns, name);
  } catch (err) {
    throw new VolumeError('CreateContainerConfigError', err instanceof Error ? err.message : String(err));
  }
}

/** Kubelet.makeEnvironmentVariables plus the runtime's merge over the image env. */
export async function resolveEnv(
  podObj: KubeObject,
  container: Container,
  source: ObjectSource,
  imageEnv: readonly string[],
  opts: EnvOptions,
): Promise<ResolvedEnv> {
  const pod = podObj as unknown as Pod;
  const ns = pod.metadata?.namespace ?? 'default';
  const fail = (msg: string): never => {
    throw new VolumeError('CreateContainerConfigError', msg);
  };
  // The API server defaults enableServiceLinks to true; a pod that skipped defaulting gets the same.
  const serviceEnv = opts.services ? serviceEnvMap(opts.services as unknown as Service[], ns, pod.spec?.enableServiceLinks !== false) : new Map<string, string>();
  const configMaps = new Map<string, ConfigMap>();
  const secrets = new Map<string, Secret>();
  const warnings: EnvWarning[] = [];
  const tmpEnv = new Map<string, string>();

  // Missing object → the manager's NotFound (`configmap "x" not found`), unless optional (then skipped: undefined).
  const configMap = async (name: string, optional: boolean): Promise<ConfigMap | undefined> => {
    let cm = configMaps.get(name);
    if (cm) return cm;
    cm = (await fetchObject(source, 'configmap', ns, name)) as ConfigMap | undefined;
    if (!cm) return optional ? undefined : fail(`configmap "${name}" not found`);
    configMaps.set(name, cm);
    return cm;
  };
  const secret = async (name: string, optional: boolean): Promise<Secret | undefined> => {
    let s = secrets.get(name);
    if (s) return s;
    s = (await fetchObject(source, 'secret', ns, name)) as Secret | undefined;
    if (!s) return optional ? undefined : fail(`secret "${name}" not found`);
    secrets.set(name, s);
    return s;
  };

  // envFrom first; env below replaces what it sets.
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: [string, string][];
    let what: string;
    let name: string;
    if (from.configMapRef) {
      name = from.configMapRef.name ?? '';
      const cm = await configMap(name, from.configMapRef.optional === true);
      if (!cm) continue;
      entries = Object.entries(cm.data ?? {});
      what = 'configMap';
    } else if (from.secretRef) {
      name = from.secretRef.name ?? '';
      const s = await secret(name, from.secretRef.optional === true);
      if (!s) continue;
      entries = Object.entries(s.data ?? {}).map(([k, v]) => [k, decode(v)]);
      what = 'secret';
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [k, v] of entries) {
      const key = prefix + k;
      if (!isEnvVarName(key, opts.relaxedEnvVarNames)) {
        invalid.push(key);
        continue;
      }
      tmpEnv.set(key, v);
    }
    if (invalid.length > 0) {
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFuncFor(tmpEnv, serviceEnv);
  const facts = { podIPs: opts.podIPs, hostIPs: opts.hostIPs };
  for (const ev of container.env ?? []) {
    let value = ev.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (ev.valueFrom) {
      const vf = ev.valueFrom;
      try {
        if (vf.fieldRef) {
          value = podFieldSelectorRuntimeValue(vf.fieldRef, pod, facts);
        } else if (vf.resourceFieldRef) {
          value = resourceFieldValue(vf.resourceFieldRef, pod, container, opts.allocatable);
        } else if (vf.configMapKeyRef) {
          const ref = vf.configMapKeyRef;
          const optional = ref.optional === true;
          const cm = await configMap(ref.name ?? '', optional);
          if (!cm) continue;
          const v = cm.data?.[ref.key];
          if (v === undefined) {
            if (optional) continue;
            fail(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name ?? ''}`);
          }
          value = v!;
        } else if (vf.secretKeyRef) {
          const ref = vf.secretKeyRef;
          const optional = ref.optional === true;
          const s = await secret(ref.name ?? '', optional);
          if (!s) continue;
          const v = s.data?.[ref.key];
          if (v === undefined) {
            if (optional) continue;
            fail(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name ?? ''}`);
          }
          value = decode(v!);
        }
      } catch (err) {
        if (err instanceof VolumeError) throw err;
        fail(err instanceof Error ? err.message : String(err));
      }
    }
    tmpEnv.set(ev.name, value);
  }

  const vars = new Map(tmpEnv);
  for (const [k, v] of serviceEnv) if (!vars.has(k)) vars.set(k, v);

  const defaults = [DEFAULT_PATH_ENV];
  if (opts.hostname !== undefined) defaults.push('HOSTNAME=' + opts.hostname);
  const env = mergeEnv(mergeEnv(defaults, imageEnv), [...vars].map(([k, v]) => k + '=' + v));
  return { vars, env, warnings };
}
