/**
 * Admission, the last step before storage: what the engine hands a plugin about one write, and the two phases
 * upstream runs in order: mutating (may change the object; runs after defaulting), then validating (may only
 * refuse; runs after the kind's own validation). A refusal is an ApiError the engine returns as is.
 */
import type { KubeObject, Requester, ResourceType } from '../resource.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionAttributes {
  operation: AdmissionOperation;
  resource: ResourceType;
  /** '' for the main resource. */
  subresource: string;
  namespace: string | undefined;
  name: string;
  /** The object as it would be stored (null for DELETE). */
  object: KubeObject | null;
  /** The stored object (null for CREATE). */
  oldObject: KubeObject | null;
  dryRun: boolean;
  /** Who asked (undefined for the server's own writes). */
  user?: Requester;
  /** Collects warnings for the response's Warning headers (webhooks may send some). */
  warnings?: string[];
  /**
   * Adds an annotation to the request's audit events (upstream's Attributes.AddAnnotation): PodSecurity's
   * enforce-policy and audit-violations, a policy's auditAnnotations, a webhook's. Absent for the server's writes.
   */
  audit?: (key: string, value: string) => void;
}

/** What a plugin's applicability may depend on: nothing that changes while the server runs. */
export type AdmissionTarget = Pick<AdmissionAttributes, 'operation' | 'resource' | 'subresource'>;

export interface Admission {
  /**
   * The object after every mutating plugin (the same object when none changed it). A plugin may answer without a
   * promise when it needs no wait (the chain then takes no microtask turn for it).
   */
  admit(a: AdmissionAttributes): KubeObject | null | Promise<KubeObject | null>;
  /** Resolves when every validating plugin allows the write; rejects with the first refusal. */
  validate(a: AdmissionAttributes): Promise<void>;
  /**
   * Whether the plugin's `admit` (mutating) or `validate` can act on writes of this kind, subresource and
   * operation at all: upstream's Handles(operation), narrowed by the plugin's own kind checks. The chain asks once
   * per target and remembers the answer. Absent: the plugin is asked about every write.
   */
  handles?(phase: 'admit' | 'validate', t: AdmissionTarget): boolean;
}
