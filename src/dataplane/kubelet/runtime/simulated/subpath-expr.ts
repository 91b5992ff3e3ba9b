/**
 * A container whose volumeMounts' subPathExpr cannot be expanded into a safe relative path is never created:
 * the kubelet's makeMounts fails and the container waits with CreateContainerConfigError (retried at every sync,
 * so a pod update that fixes the expansion lets it start). The simulated runtime decides it the same way from
 * what it can know without the API: env values, $(VAR) references between them and downward-API fieldRefs /
 * resourceFieldRefs. A variable from a ConfigMap or Secret (env or envFrom) has a value it cannot see: an
 * expression using one is assumed to be fine.
 */
import type { Container as ApiContainer, Pod as ApiPod } from 'kubernetes-types/core/v1.js';
import type { Container } from '../../pod/podspec.js';
import type { Pod } from '../../types.js';
import { expand, expandSubPathExpr, mappingFuncFor } from '../../volumes/expansion.js';
import { podFieldSelectorRuntimeValue, resourceFieldValue, type PodRuntimeFacts } from '../../volumes/fieldpath.js';
import { validateSubPath } from '../../volumes/mounts.js';

export const CREATE_CONTAINER_CONFIG_ERROR = 'CreateContainerConfigError';

/** Whether any of the containers has a subPathExpr mount (the cheap test before any work). */
export function hasSubPathExpr(containers: readonly Container[]): boolean {
  for (const c of containers) {
    const mounts = (c as { volumeMounts?: unknown }).volumeMounts;
    if (Array.isArray(mounts) && mounts.some((m) => m && typeof (m as { subPathExpr?: unknown }).subPathExpr === 'string' && (m as { subPathExpr: string }).subPathExpr !== '')) return true;
  }
  return false;
}

/** References in an expression: the NAMEs of its `$(NAME)`s. */
function references(expr: string): string[] {
  const out: string[] = [];
  expand(expr, (name) => {
    out.push(name);
    return '';
  });
  return out;
}

/**
 * The config error of one container's mounts (makeMounts' message), or undefined when it can be created.
 * `allocatable` is the node's, for resourceFieldRefs of limits the container does not set.
 */
export function subPathExprError(pod: Pod, container: Container, facts: PodRuntimeFacts, allocatable: Record<string, string>): string | undefined {
  const c = container as unknown as ApiContainer;
  const mounts = (c.volumeMounts ?? []).filter((m) => typeof m.subPathExpr === 'string' && m.subPathExpr !== '');
  if (mounts.length === 0) return undefined;
  const env = new Map<string, string>();
  const unknown = new Set<string>();
  const fromObjects = (c.envFrom ?? []).length > 0;
  const mapping = mappingFuncFor(env);
  for (const ev of c.env ?? []) {
    if (typeof ev?.name !== 'string') continue;
    unknown.delete(ev.name);
    let value = ev.value ?? '';
    if (value !== '') value = expand(value, mapping);
    else if (ev.valueFrom?.fieldRef) {
      try {
        value = podFieldSelectorRuntimeValue(ev.valueFrom.fieldRef, pod as unknown as ApiPod, facts);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    } else if (ev.valueFrom?.resourceFieldRef) {
      try {
        value = resourceFieldValue(ev.valueFrom.resourceFieldRef, pod as unknown as ApiPod, c, allocatable);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    } else if (ev.valueFrom) {
      unknown.add(ev.name); // a ConfigMap or Secret key
      env.delete(ev.name);
      continue;
    }
    env.set(ev.name, value);
  }
  for (const m of mounts) {
    const expr = m.subPathExpr!;
    const refs = references(expr);
    // A value the simulation cannot see (an object's key; with envFrom, any name env does not set) is assumed fine.
    if (refs.some((r) => unknown.has(r) || (fromObjects && !env.has(r)))) continue;
    try {
      validateSubPath(expandSubPathExpr(expr, env));
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  return undefined;
}

/** The config errors of the pod's regular containers by name; null when none has one. */
export function subPathExprErrors(pod: Pod, containers: readonly Container[], facts: PodRuntimeFacts, allocatable: Record<string, string>): Map<string, string> | null {
  let out: Map<string, string> | null = null;
  for (const c of containers) {
    const err = subPathExprError(pod, c, facts, allocatable);
    if (err !== undefined) (out ??= new Map()).set(c.name, err);
  }
  return out;
}
