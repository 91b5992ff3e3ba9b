/**
 * Server-side conversions of a response (upstream's transformResponseObject): a Table (meta.k8s.io v1 or
 * v1beta1), PartialObjectMetadata for one object and PartialObjectMetadataList for a list. Asking for the
 * single form on a list (or the list form on one object) is 406, in upstream's words.
 */
import type { KubeObject, ResourceType } from './resource.js';
import type { Conversion } from './content.js';
import { toTable, type IncludeObject } from './table.js';
import { ApiError } from './status.js';

/** The Go type upstream names in its 406 messages: the kind's internal type (`*core.Pod`, `*apps.DeploymentList`). */
function goType(r: ResourceType, list: boolean): string {
  if (r.custom) return list ? '*unstructured.UnstructuredList' : '*unstructured.Unstructured';
  const pkg = r.group === '' ? 'core' : r.group.split('.')[0]!;
  return `*${pkg}.${list ? r.listKind : r.kind}`;
}

const notAcceptable = (message: string): ApiError => new ApiError(406, 'NotAcceptable', message);

/** The metadata of an object as a PartialObjectMetadata of the asked version. */
export function asPartialObjectMetadata(obj: KubeObject, version: Conversion['version']): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata ?? {} };
}

export interface TransformOptions {
  includeObject: IncludeObject;
  now: Date;
}

/** One object converted as asked; a list conversion of one object is 406. */
export function transformObject(r: ResourceType, obj: KubeObject, as: Conversion, opts: TransformOptions): KubeObject {
  switch (as.kind) {
    case 'PartialObjectMetadata':
      return asPartialObjectMetadata(obj, as.version);
    case 'PartialObjectMetadataList':
      throw notAcceptable(`you requested PartialObjectMetadataList, but the requested object is not a list (${goType(r, false)})`);
    case 'Table':
      return versioned(toTable(r, [obj], { includeObject: opts.includeObject, now: opts.now }), as.version);
  }
}

/** A list converted as asked; the single-object conversion of a list is 406. */
export function transformList(
  r: ResourceType, items: KubeObject[], listMeta: Record<string, unknown>, as: Conversion, opts: TransformOptions,
): KubeObject {
  switch (as.kind) {
    case 'PartialObjectMetadata':
      throw notAcceptable(`you requested PartialObjectMetadata, but the requested object is a list (${goType(r, true)})`);
    case 'PartialObjectMetadataList':
      return {
        kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${as.version}`, metadata: listMeta,
        items: items.map((o) => asPartialObjectMetadata(o, as.version)),
      };
    case 'Table':
      return versioned(toTable(r, items, { includeObject: opts.includeObject, now: opts.now, listMeta }), as.version);
  }
}

function versioned(table: KubeObject, version: Conversion['version']): KubeObject {
  if (version !== 'v1') table.apiVersion = `meta.k8s.io/${version}`;
  return table;
}
