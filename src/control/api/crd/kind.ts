/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition as a built-in kind: cluster-scoped, short names crd/crds,
 * category api-extensions, a status subresource, upstream's defaults (singular, listKind, conversion None),
 * storedVersions seeded on create, and a delete that first adds the cleanup finalizer and the Terminating
 * condition so that the CRD finalizer (controller.ts) deletes the instances before the CRD goes.
 */
import type { KubeObject, ResourceType, Strategy } from '../resource.js';
import { column } from '../kinds/printers/columns.js';
import { ALL_VERBS } from '../kinds/verbs.js';
import { rfc3339 } from '../../../client/time.js';
import { asCRD, CLEANUP_FINALIZER, GROUP, setCondition, storageVersion } from './definition.js';
import { validateCRD, validateCRDUpdate } from './validation.js';

function defaultCRD(obj: KubeObject): void {
  const crd = asCRD(obj);
  const spec = crd.spec;
  if (!spec || typeof spec !== 'object') return;
  const names = spec.names;
  if (names && typeof names === 'object' && typeof names.kind === 'string' && names.kind) {
    names.singular ||= names.kind.toLowerCase();
    names.listKind ||= `${names.kind}List`;
  }
  spec.conversion ??= { strategy: 'None' };
  // v1's default for a conversion webhook's Service port.
  const service = (spec.conversion.webhook as { clientConfig?: { service?: { port?: number } } } | undefined)?.clientConfig?.service;
  if (service && typeof service === 'object') service.port ??= 443;
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    for (const c of v.additionalPrinterColumns ?? []) c.priority ??= 0;
  }
}

/** Create-only: status starts with no accepted names and the storage version stored (upstream's PrepareForCreate). */
function admitCRD(obj: KubeObject): void {
  const crd = asCRD(obj);
  const storage = Array.isArray(crd.spec?.versions) ? storageVersion(crd) : undefined;
  crd.status = { acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage.name] : [] };
}

/** The CRD REST's Delete: the cleanup finalizer and Terminating condition come first. */
export function prepareCRDForDelete(obj: KubeObject, now: () => Date = () => new Date()): void {
  const crd = asCRD(obj);
  const meta = crd.metadata!;
  if (!(meta.finalizers ?? []).includes(CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CLEANUP_FINALIZER];
  setCondition(crd, {
    type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending',
    message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
  }, rfc3339(now()));
}

export const crdStrategy: Strategy = {
  hasGeneration: true,
  hasStatus: true,
  default: defaultCRD,
  admit: admitCRD,
  validate: validateCRD,
  validateUpdate: validateCRDUpdate,
  prepareForDelete: (obj) => prepareCRDForDelete(obj),
};

export const customresourcedefinitions: ResourceType = {
  group: GROUP, version: 'v1', kind: 'CustomResourceDefinition', listKind: 'CustomResourceDefinitionList',
  plural: 'customresourcedefinitions', singular: 'customresourcedefinition', shortNames: ['crd', 'crds'],
  categories: ['api-extensions'], namespaced: false, verbs: ALL_VERBS, subresources: ['status'],
  strategy: crdStrategy,
  // Upstream's default table: the name, then the creation time as RFC 3339.
  columns: [column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.', (o) => o.metadata?.creationTimestamp ?? null)],
  definition: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
};
