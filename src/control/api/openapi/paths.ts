/**
 * The REST paths of each registry kind as Swagger 2.0 path items, shaped like kube-apiserver's: operation ids
 * (`readCoreV1NamespacedPod`), x-kubernetes-action, x-kubernetes-group-version-kind, and the query parameters
 * clients probe for (kubectl checks PATCH for `fieldValidation` and `dryRun` before using them).
 */
import type { GroupVersionKind } from '../schema/index.js';
import { STRATEGIC_MERGE_PATCH, servedPatchTypes } from '../patch/index.js';
import type { ResourceType } from '../resource.js';

export interface Parameter {
  name: string;
  in: 'query' | 'path' | 'body';
  description: string;
  type?: string;
  required?: boolean;
  uniqueItems?: boolean;
  schema?: { $ref: string };
}

export interface Operation {
  operationId: string;
  description: string;
  consumes: string[];
  produces: string[];
  schemes: string[];
  tags: string[];
  parameters: Parameter[];
  responses: Record<string, { description: string; schema?: { $ref?: string; type?: string } }>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

export type PathItem = Partial<Record<'get' | 'put' | 'post' | 'patch' | 'delete', Operation>> & { parameters?: Parameter[] };

const ref = (definition: string): { $ref: string } => ({ $ref: `#/definitions/${definition}` });

const q = (name: string, type: string, description: string): Parameter => ({ name, in: 'query', type, uniqueItems: true, description });

const PRETTY = q('pretty', 'string', "If 'true', then the output is pretty printed.");
const DRY_RUN = q('dryRun', 'string', 'When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = q('fieldManager', 'string', 'fieldManager is a name associated with the actor or entity that is making these changes.');
const FIELD_VALIDATION = q('fieldValidation', 'string', 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: - Ignore, - Warn (the default), - Strict.');
const FORCE = q('force', 'boolean', 'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.');
const LIST_PARAMS: Parameter[] = [
  q('allowWatchBookmarks', 'boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK".'),
  q('continue', 'string', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  q('labelSelector', 'string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  q('limit', 'integer', 'limit is a maximum number of responses to return for a list call.'),
  q('resourceVersion', 'string', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('resourceVersionMatch', 'string', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q('sendInitialEvents', 'boolean', 'sendInitialEvents=true may be set together with watch=true to begin the watch stream with synthetic ADDED events.'),
  q('timeoutSeconds', 'integer', 'Timeout for the list/watch call.'),
  q('watch', 'boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.'),
];
const DELETE_PARAMS: Parameter[] = [
  DRY_RUN,
  q('gracePeriodSeconds', 'integer', 'The duration in seconds before the object should be deleted.'),
  q('orphanDependents', 'boolean', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.'),
  q('propagationPolicy', 'string', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
];
const LOG_PARAMS: Parameter[] = [
  q('container', 'string', 'The container for which to stream logs. Defaults to only container if there is one container in the pod.'),
  q('follow', 'boolean', 'Follow the log stream of the pod. Defaults to false.'),
  q('limitBytes', 'integer', 'If set, the number of bytes to read from the server before terminating the log output.'),
  q('previous', 'boolean', 'Return previous terminated container logs. Defaults to false.'),
  q('sinceSeconds', 'integer', 'A relative time in seconds before the current time from which to show logs.'),
  q('tailLines', 'integer', 'If set, the number of lines from the end of the logs to show.'),
  q('timestamps', 'boolean', 'If true, add an RFC3339 or RFC3339Nano timestamp at the beginning of every line of log output.'),
];

const body = (definition: string): Parameter => ({ name: 'body', in: 'body', required: true, description: '', schema: ref(definition) });
const pathParam = (name: string, description: string): Parameter => ({ name, in: 'path', required: true, type: 'string', uniqueItems: true, description });
const NAMESPACE = pathParam('namespace', 'object name and auth scope, such as for teams and projects');

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const WATCH_TYPES = [...JSON_TYPES, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];

/** `apps` → `Apps`, `discovery.k8s.io` → `Discovery`, '' → `Core`; upstream's operation-id prefix. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  const first = group.split('.')[0]!;
  return first.replace(/(^|[-_])([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** The URL prefix of a group-version: `/api/v1` or `/apis/<group>/<version>`. */
export const gvPrefix = (r: Pick<ResourceType, 'group' | 'version'>): string =>
  r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;

/** Path items for one registry kind, keyed by path. */
export function resourcePaths(r: ResourceType, listDefinition: string): Record<string, PathItem> {
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const tag = `${r.group ? r.group.split('.')[0] : 'core'}_${r.version}`;
  const idPart = `${groupWord(r.group)}${capitalise(r.version)}${r.namespaced ? 'Namespaced' : ''}${r.kind}`;
  const op = (
    verb: string, id: string, action: string, description: string, parameters: Parameter[],
    response: { $ref?: string; type?: string }, kind: GroupVersionKind = gvk, extra: Partial<Operation> = {},
  ): Operation => ({
    operationId: `${verb}${id}`,
    description,
    consumes: ['*/*'],
    produces: JSON_TYPES,
    schemes: ['https'],
    tags: [tag],
    parameters,
    responses: { 200: { description: 'OK', schema: response }, 401: { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': kind,
    ...extra,
  });
  const has = (verb: string): boolean => r.verbs.includes(verb);
  const base = r.namespaced ? `${gvPrefix(r)}/namespaces/{namespace}/${r.plural}` : `${gvPrefix(r)}/${r.plural}`;
  const scopeParams = r.namespaced ? [NAMESPACE] : [];
  const nameParam = pathParam('name', `name of the ${r.kind}`);
  const self = ref(r.definition);
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const patchOp = (id: string, kind: GroupVersionKind, response: { $ref: string }, what: string): Operation =>
    op('patch', id, 'patch', `partially update ${what}`, [body('io.k8s.apimachinery.pkg.apis.meta.v1.Patch'), ...writeParams, FORCE], response, kind, {
      // A custom resource (and its status) takes no strategic merge patch: kubectl reads this to choose a patch type.
      consumes: r.custom && kind.kind === r.kind ? servedPatchTypes.filter((t) => t !== STRATEGIC_MERGE_PATCH) : [...servedPatchTypes],
    });
  const paths: Record<string, PathItem> = {};

  const collection: PathItem = { parameters: [...scopeParams, PRETTY] };
  if (has('list')) {
    collection.get = op('list', idPart, 'list', `list or watch objects of kind ${r.kind}`, LIST_PARAMS, ref(listDefinition), gvk, { produces: WATCH_TYPES });
  }
  if (has('create')) collection.post = op('create', idPart, 'post', `create a ${r.kind}`, [body(r.definition), ...writeParams], self);
  if (has('deletecollection')) {
    collection.delete = op('delete', `Collection${idPart}`, 'deletecollection', `delete collection of ${r.kind}`,
      [body('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'), ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks'), ...DELETE_PARAMS.slice(1), DRY_RUN],
      ref('io.k8s.apimachinery.pkg.apis.meta.v1.Status'));
  }
  paths[base] = collection;

  const item: PathItem = { parameters: [nameParam, ...scopeParams, PRETTY] };
  if (has('get')) item.get = op('read', idPart, 'get', `read the specified ${r.kind}`, [], self);
  if (has('update')) item.put = op('replace', idPart, 'put', `replace the specified ${r.kind}`, [body(r.definition), ...writeParams], self);
  if (has('patch')) item.patch = patchOp(idPart, gvk, self, `the specified ${r.kind}`);
  if (has('delete')) {
    item.delete = op('delete', idPart, 'delete', `delete a ${r.kind}`,
      [body('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions'), ...DELETE_PARAMS], ref('io.k8s.apimachinery.pkg.apis.meta.v1.Status'));
  }
  // Create-only kinds (core/v1 bindings, the reviews) have no object path, as upstream's document.
  if (item.get || item.put || item.patch || item.delete) paths[`${base}/{name}`] = item;

  if (r.namespaced && has('list')) {
    paths[`${gvPrefix(r)}/${r.plural}`] = {
      parameters: [PRETTY],
      get: op('list', `${groupWord(r.group)}${capitalise(r.version)}${r.kind}ForAllNamespaces`, 'list',
        `list or watch objects of kind ${r.kind}`, LIST_PARAMS, ref(listDefinition), gvk, { produces: WATCH_TYPES }),
    };
  }

  for (const sub of r.subresources) {
    const subPath = `${base}/{name}/${sub}`;
    const params = [pathParam('name', `name of the ${sub === 'status' || sub === 'scale' ? r.kind : sub}`), ...scopeParams, PRETTY];
    const id = `${idPart}${capitalise(sub)}`;
    switch (sub) {
      case 'status':
      case 'approval':
        paths[subPath] = {
          parameters: params,
          get: op('read', id, 'get', `read ${sub} of the specified ${r.kind}`, [], self),
          put: op('replace', id, 'put', `replace ${sub} of the specified ${r.kind}`, [body(r.definition), ...writeParams], self),
          patch: patchOp(id, gvk, self, `${sub} of the specified ${r.kind}`),
        };
        break;
      case 'scale': {
        const scale = 'io.k8s.api.autoscaling.v1.Scale';
        const sgvk = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
        paths[subPath] = {
          parameters: params,
          get: op('read', id, 'get', `read scale of the specified ${r.kind}`, [], ref(scale), sgvk),
          put: op('replace', id, 'put', `replace scale of the specified ${r.kind}`, [body(scale), ...writeParams], ref(scale), sgvk),
          patch: patchOp(id, sgvk, ref(scale), `scale of the specified ${r.kind}`),
        };
        break;
      }
      case 'binding':
        paths[subPath] = {
          parameters: params,
          post: op('create', id, 'post', `create binding of a ${r.kind}`, [body('io.k8s.api.core.v1.Binding'), ...writeParams],
            ref('io.k8s.api.core.v1.Binding'), { group: '', version: 'v1', kind: 'Binding' }),
        };
        break;
      case 'eviction':
        paths[subPath] = {
          parameters: params,
          post: op('create', id, 'post', `create eviction of a ${r.kind}`, [body('io.k8s.api.policy.v1.Eviction'), ...writeParams],
            ref('io.k8s.api.policy.v1.Eviction'), { group: 'policy', version: 'v1', kind: 'Eviction' }),
        };
        break;
      case 'log':
        paths[subPath] = {
          parameters: params,
          get: op('read', `${idPart}Log`, 'get', `read log of the specified ${r.kind}`, LOG_PARAMS, { type: 'string' }, gvk, {
            produces: ['text/plain', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
          }),
        };
        break;
      default:
        break;
    }
  }
  return paths;
}
