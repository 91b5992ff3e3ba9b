/** apiextensions.k8s.io/v1 CustomResourceDefinition as stored, and the helpers its controllers share. */
import type { KubeObject } from '../resource.js';
import type { JSONSchemaProps } from './schema/types.js';

export const GROUP = 'apiextensions.k8s.io';
/** The finalizer a deleted CRD carries until its instances are gone. */
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export interface CRDNames {
  plural: string;
  singular?: string;
  shortNames?: string[];
  kind: string;
  listKind?: string;
  categories?: string[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

export interface CRDVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema?: { openAPIV3Schema?: JSONSchemaProps };
  subresources?: {
    status?: Record<string, never>;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

export interface CRDCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface CRDSpec {
  group: string;
  names: CRDNames;
  scope: string;
  versions: CRDVersion[];
  conversion?: { strategy: string; webhook?: unknown };
  preserveUnknownFields?: boolean;
}

export interface CRDStatus {
  conditions?: CRDCondition[];
  acceptedNames: CRDNames;
  storedVersions?: string[];
}

export interface CustomResourceDefinition extends KubeObject {
  spec: CRDSpec;
  status?: CRDStatus;
}

export const asCRD = (obj: KubeObject): CustomResourceDefinition => obj as CustomResourceDefinition;

export function findCondition(crd: CustomResourceDefinition, type: string): CRDCondition | undefined {
  return crd.status?.conditions?.find((c) => c.type === type);
}

export const isConditionTrue = (crd: CustomResourceDefinition, type: string): boolean => findCondition(crd, type)?.status === 'True';

/**
 * Sets a condition as upstream's SetCRDCondition: lastTransitionTime moves only when the status changes.
 * Returns whether anything changed.
 */
export function setCondition(crd: CustomResourceDefinition, next: CRDCondition, now: string): boolean {
  const status = (crd.status ??= { acceptedNames: { plural: '', kind: '' } });
  const list = (status.conditions ??= []);
  const i = list.findIndex((c) => c.type === next.type);
  if (i < 0) {
    list.push({ ...next, lastTransitionTime: now });
    return true;
  }
  const cur = list[i]!;
  if (cur.status === next.status && cur.reason === next.reason && cur.message === next.message) return false;
  list[i] = { ...next, lastTransitionTime: cur.status === next.status ? cur.lastTransitionTime ?? now : now };
  return true;
}

/** The version objects are stored in (validation guarantees exactly one). */
export const storageVersion = (crd: CustomResourceDefinition): CRDVersion | undefined => crd.spec.versions?.find((v) => v.storage);

/**
 * Kubernetes' version priority (GA > beta > alpha, higher numbers first, then the rest by name), as upstream
 * sorts a group's versions for discovery.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const level = m[2] === 'alpha' ? 2 : m[2] === 'beta' ? 1 : 0;
    return [level, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] as number) - (pb[i] as number);
  return pa[3] < pb[3] ? -1 : pa[3] > pb[3] ? 1 : 0;
}
