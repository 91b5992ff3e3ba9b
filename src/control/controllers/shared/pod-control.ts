/**
 * Upstream's RealPodControl: creates a controller's pods from its template (owner reference, template labels,
 * annotations and finalizers, generateName `<owner>-`) and deletes them, posting the events `kubectl describe`
 * shows: SuccessfulCreate "Created pod: web-abcde", FailedCreate "Error creating: …", SuccessfulDelete
 * "Deleted pod: …", FailedDelete "Error deleting: …".
 */
import type { EventType } from '../../../client/events.js';
import { ApiError, isNotFound, type RestClient } from '../../../client/rest.js';
import { Pods } from '../../../client/resources.js';
import type { KubeObject, OwnerReference } from '../../../client/types.js';
import { errorMessage } from './controller-ref.js';
import type { Pod, PodTemplateSpec } from './pod-util.js';

export const SUCCESSFUL_CREATE = 'SuccessfulCreate';
export const FAILED_CREATE = 'FailedCreate';
export const SUCCESSFUL_DELETE = 'SuccessfulDelete';
export const FAILED_DELETE = 'FailedDelete';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** getPodsPrefix: `<name>-`, or the bare name when `<name>-` could not start a valid object name. */
export function podsPrefix(controllerName: string): string {
  const prefix = `${controllerName}-`;
  // NameIsDNSSubdomain(prefix, true) validates the prefix with a character appended.
  const probe = `${prefix}a`;
  return probe.length <= 253 && DNS1123_SUBDOMAIN.test(probe) ? prefix : controllerName;
}

/** GetPodFromTemplate: the pod a controller creates (without a namespace; the create call sets it). */
export function podFromTemplate(template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference | undefined, generateName?: string): Pod {
  const tm = template.metadata ?? {};
  const metadata: Pod['metadata'] = { generateName: generateName || podsPrefix(owner.metadata?.name ?? '') };
  if (tm.labels) metadata.labels = { ...tm.labels };
  if (tm.annotations) metadata.annotations = { ...tm.annotations };
  if (tm.finalizers) metadata.finalizers = [...tm.finalizers];
  if (controllerRef) metadata.ownerReferences = [{ ...controllerRef }];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? {}) };
}

/** The namespace is terminating: upstream neither posts an event nor counts the failure. */
export function isNamespaceTerminating(err: unknown): boolean {
  if (!(err instanceof ApiError)) return false;
  if (err.status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return err.code === 403 && /because it is being terminated/.test(err.status?.message ?? '');
}

export interface PodControlDeps {
  client: RestClient;
  /** The event sink (ControllerContext.event). */
  event(component: string, obj: KubeObject, type: EventType, reason: string, message: string): void;
  /** The event source, e.g. `replicaset-controller`. */
  component: string;
}

export class PodControl {
  constructor(private readonly d: PodControlDeps) {}

  /**
   * Creates one pod for `owner` from `template` in `namespace`; returns it without metadata.managedFields (no caller
   * reads them, and they are a third of the answer to decode). Throws the API's error.
   */
  async createPod(namespace: string, template: PodTemplateSpec, owner: KubeObject, controllerRef: OwnerReference, generateName?: string): Promise<Pod> {
    if (!controllerRef.apiVersion || !controllerRef.kind || !controllerRef.uid || controllerRef.controller !== true || controllerRef.blockOwnerDeletion !== true) {
      throw new Error(`controllerRef for ${owner.metadata?.name} must set apiVersion, kind, uid, controller: true and blockOwnerDeletion: true`);
    }
    const pod = podFromTemplate(template, owner, controllerRef, generateName);
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    let created: Pod;
    try {
      created = await this.d.client.create<Pod>(Pods, pod, { namespace, omitManagedFields: true });
    } catch (err) {
      if (!isNamespaceTerminating(err)) this.d.event(this.d.component, owner, 'Warning', FAILED_CREATE, `Error creating: ${errorMessage(err)}`);
      throw err;
    }
    this.d.event(this.d.component, owner, 'Normal', SUCCESSFUL_CREATE, `Created pod: ${created.metadata?.name}`);
    return created;
  }

  /** Deletes a pod of `owner`. A pod already gone throws NotFound without an event, as upstream. */
  async deletePod(namespace: string, name: string, owner: KubeObject): Promise<void> {
    try {
      await this.d.client.delete(Pods, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) this.d.event(this.d.component, owner, 'Warning', FAILED_DELETE, `Error deleting: ${errorMessage(err)}`);
      throw err;
    }
    this.d.event(this.d.component, owner, 'Normal', SUCCESSFUL_DELETE, `Deleted pod: ${name}`);
  }
}
