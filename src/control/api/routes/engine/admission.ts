/**
 * The engine's side of admission (../../admission/): mutating plugins after defaulting, validating ones after the
 * kind's own validation, for creates, updates (main resource and subresources) and deletes. A mutation may
 * change anything but the object's identity (name, namespace, uid, creation time, resourceVersion, generation).
 */
import type { KubeObject, ResourceType } from '../../resource.js';
import type { Admission, AdmissionOperation } from '../../admission/types.js';
import type { WriteOptions } from './write-options.js';

export interface AdmissionContext {
  /** The admission chain, when the server has one. */
  admission?(): Admission | undefined;
}

interface Write {
  operation: AdmissionOperation;
  r: ResourceType;
  sub: string;
  ns: string | undefined;
  obj: KubeObject;
  old: KubeObject | null;
  opts: WriteOptions;
}

const attributes = (w: Write) => ({
  operation: w.operation, resource: w.r, subresource: w.sub, namespace: w.ns, name: w.obj.metadata?.name ?? '',
  object: w.operation === 'DELETE' ? null : w.obj, oldObject: w.old, dryRun: w.opts.dryRun === true, warnings: w.opts.warnings,
  user: w.opts.user, audit: w.opts.auditAnnotation,
});

const IDENTITY = ['name', 'namespace', 'uid', 'creationTimestamp', 'resourceVersion', 'generation', 'deletionTimestamp'] as const;

/** Runs the mutating plugins and writes their result into `w.obj` in place (identity kept). */
export async function mutate(ctx: AdmissionContext, w: Write): Promise<void> {
  const admission = ctx.admission?.();
  if (!admission) return;
  const out = await admission.admit(attributes(w));
  if (!out || out === w.obj || w.operation === 'DELETE') return;
  const meta = w.obj.metadata ?? {};
  const kept = Object.fromEntries(IDENTITY.filter((k) => meta[k] !== undefined).map((k) => [k, meta[k]]));
  for (const k of Object.keys(w.obj)) delete w.obj[k];
  Object.assign(w.obj, out);
  w.obj.metadata = { ...(out.metadata ?? {}), ...kept };
  for (const k of IDENTITY) if (kept[k] === undefined) delete (w.obj.metadata as Record<string, unknown>)[k];
}

/** Runs the validating plugins; rejects with the first refusal. */
export async function validate(ctx: AdmissionContext, w: Write): Promise<void> {
  const admission = ctx.admission?.();
  if (admission) await admission.validate(attributes(w));
}
