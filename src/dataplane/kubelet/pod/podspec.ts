/**
 * Typed, defensive reads of the v1.Pod JSON the status code needs. Pods come from the API server (already
 * validated), but a driver must never crash on an odd object, so every read tolerates a missing or mistyped field.
 */
import type { Pod } from '../types.js';

export interface Probe { initialDelaySeconds?: number; periodSeconds?: number }
export interface ResourceRequirements { requests?: Record<string, unknown>; limits?: Record<string, unknown> }
export interface Container {
  name: string;
  image?: string;
  restartPolicy?: string;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: ResourceRequirements;
  /** Entrypoint and arguments (unchecked: read through runtime/simulated/sleep-command.ts). */
  command?: unknown;
  args?: unknown;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function podSpec(pod: Pod): Record<string, unknown> {
  return obj(pod.spec) ?? {};
}

export function podStatusOf(pod: Pod): Record<string, unknown> {
  return obj(pod.status) ?? {};
}

const NO_CONTAINERS: Container[] = [];

function containerList(v: unknown): Container[] {
  if (!Array.isArray(v)) return NO_CONTAINERS;
  const out = v.filter((c): c is Container => obj(c) !== undefined && typeof (c as Container).name === 'string');
  return out.length === v.length ? (v as Container[]) : out;
}

export function containersOf(pod: Pod): Container[] {
  return containerList(podSpec(pod).containers);
}

export function initContainersOf(pod: Pod): Container[] {
  return containerList(podSpec(pod).initContainers);
}

/** spec.restartPolicy, defaulted to Always as the API server does. */
export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = podSpec(pod).restartPolicy;
  return p === 'Never' || p === 'OnFailure' ? p : 'Always';
}

/** An init container with restartPolicy Always: a sidecar that starts and keeps running (podutil.IsRestartableInitContainer). */
export function isRestartableInit(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

export function isHostNetwork(pod: Pod): boolean {
  return podSpec(pod).hostNetwork === true;
}

/** Whole seconds from a probe, clamped to >= 0. */
export function probeDelaySeconds(p: Probe | undefined): number {
  const d = p?.initialDelaySeconds;
  return typeof d === 'number' && Number.isFinite(d) && d > 0 ? d : 0;
}

export function annotationsOf(pod: Pod): Record<string, string> {
  return (obj(pod.metadata?.annotations) as Record<string, string> | undefined) ?? {};
}

/** True when a Job controls the pod (ownerReferences kind Job, controller or sole owner). */
export function isJobPod(pod: Pod): boolean {
  const refs = pod.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return false;
  return refs.some((r) => r?.kind === 'Job' && (r.controller === true || refs.length === 1));
}

export function readinessGatesOf(pod: Pod): string[] {
  const g = podSpec(pod).readinessGates;
  if (!Array.isArray(g)) return [];
  return g.map((x) => (obj(x)?.conditionType as string | undefined) ?? '').filter((t) => t !== '');
}

/**
 * When spec.activeDeadlineSeconds runs out, counted from status.startTime (`startTime`, ms) as the kubelet's
 * active deadline handler counts it; null without a deadline.
 */
export function activeDeadlineAt(pod: Pod, startTime: number): number | null {
  const s = podSpec(pod).activeDeadlineSeconds;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? startTime + s * 1000 : null;
}
