/**
 * The resource routes: /api/<v>/… and /apis/<g>/<v>/… parsed against the registry and dispatched to the
 * ObjectEngine by verb. Nothing here is per kind: a new registry entry is served as soon as it exists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { groupVersion, type ComputedSource, type KubeObject, type ResourceType } from '../resource.js';
import type { Registry } from '../registry.js';
import { ObjectEngine, gr, type DeleteOptions, type ListOptions, type Subresource, type WriteOptions, parseRV } from './objects.js';
import { decodeBody, decodePatch, negotiate, parseAccept, isPlainObject, sendText, type ResponseFormat } from '../content.js';
import { ApiError, badRequest, conflict, invalid, methodNotSupported, notAcceptable, pathNotFound, successStatus, unsupportedMediaType, type Status } from '../status.js';
import { entryJson, type Entry } from '../watch/cache.js';
import { serveWatch, type WatchSet, type WatchSettings } from '../watch/stream.js';
import { parseLabelSelector, matchesLabels } from '../selectors/label.js';
import { parseFieldSelector, matchesFields, checkFieldSelector } from '../selectors/field.js';
import { toTable } from '../table.js';
import { APPLY_PATCH, STRATEGIC_MERGE_PATCH, applyPatch, patchType, PatchError, servedPatchTypes } from '../patch/index.js';
import {
  ApplyConflictError, ApplyRequestError, managerOf, serverSideApply, validateFieldManager, validatePatchOptions, type ApplyOptions,
} from '../patch/apply/index.js';
import { parseFieldValidation } from './unknown-fields.js';
import { checkBodyTypes, type DecodeTarget } from '../validation/decode-types.js';
import { evictPod } from './eviction.js';
import { cachedView } from './engine/conversion.js';
import { leavesCurrent } from './engine/guaranteed-update.js';

/** A parsed resource path. */
export interface ResourcePath {
  r: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string;
}

/** Kinds whose DELETE answers with the object rather than a Status (upstream's ReturnDeletedObject). */
const RETURNS_DELETED = new Set(['/Pod', '/ServiceAccount', '/Service', '/Namespace']);

/** Patch types served, in upstream's order for built-in kinds. */
const SERVED_PATCH_TYPES = servedPatchTypes;
/** /scale takes every patch type but apply (upstream converts scale managedFields to the parent's; not built). */
const SCALE_PATCH_TYPES = SERVED_PATCH_TYPES.filter((t) => t !== APPLY_PATCH);
/** Custom resources take no strategic merge patch (upstream serves it for built-in types only). */
const CUSTOM_PATCH_TYPES = SERVED_PATCH_TYPES.filter((t) => t !== STRATEGIC_MERGE_PATCH);
/** Bodies decode into the kind's types; a custom resource's are unstructured (its schema validates them, 422). */
const bodyTypes = <T>(r: ResourceType, body: T): T => (r.custom ? body : checkBodyTypes(r, body));
/** PUT …/scale bodies decode as autoscaling/v1 Scale. */
const SCALE_TARGET: DecodeTarget = { group: 'autoscaling', version: 'v1', kind: 'Scale', definition: 'io.k8s.api.autoscaling.v1.Scale' };

/**
 * Splits a path after /api or /apis: returns null when it is not a resource path (the caller answers 404).
 * `segs` starts with the version (core) or the group.
 */
export function parseResourcePath(registry: Registry, core: boolean, segs: string[]): ResourcePath | null {
  const group = core ? '' : (segs.shift() ?? '');
  const version = segs.shift() ?? '';
  if (!registry.hasGroupVersion(group, version)) return null;
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3 && !(segs.length === 3 && (segs[2] === 'status' || segs[2] === 'finalize'))) {
    namespace = segs[1];
    segs = segs.slice(2);
  }
  const [plural, name, subresource, ...rest] = segs;
  if (!plural || rest.length > 0) return null;
  const r = registry.lookup(group, version, plural);
  if (!r) return null;
  if (namespace !== undefined && !r.namespaced) return null;
  if (name === '') return null;
  if (subresource !== undefined) {
    const finalize = r.kind === 'Namespace' && r.group === '' && subresource === 'finalize';
    if (!finalize && !r.subresources.includes(subresource)) return null;
  }
  return { r, namespace, name, subresource: subresource ?? '' };
}

type Query = Record<string, string | string[] | undefined>;

const q = (query: Query, k: string): string | undefined => {
  const v = query[k];
  return Array.isArray(v) ? v[0] : v;
};
const qBool = (query: Query, k: string): boolean | undefined => {
  const v = q(query, k);
  if (v === undefined) return undefined;
  return v === 'true' || v === '1' || v === '';
};
const qInt = (query: Query, k: string): number | undefined => {
  const v = q(query, k);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${k}: "${v}": must be an integer`);
  return Number(v);
};

function writeOptions(query: Query, warnings: string[], userAgent: string | undefined): WriteOptions {
  const raw = query['dryRun'];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const v of values) if (v !== 'All') throw badRequest(`Invalid dryRun value: "${v}"; the only supported value is "All"`);
  return {
    dryRun: values.length > 0, fieldValidation: parseFieldValidation(q(query, 'fieldValidation')), warnings,
    fieldManager: managerOf(q(query, 'fieldManager'), userAgent),
  };
}

/** Create and update options as upstream validates them (fieldManager only; dryRun is checked with the rest). */
function checkFieldManager(query: Query, kind: 'CreateOptions' | 'UpdateOptions'): void {
  const errs = validateFieldManager(q(query, 'fieldManager'));
  if (errs.length) throw invalid('meta.k8s.io', kind, '', errs);
}

/** An apply refusal as the Status kube-apiserver answers with (a 500's reason stays empty, as upstream's). */
class ApplyStatusError extends ApiError {
  constructor(private readonly status: Record<string, unknown>, code: number, reason: string, message: string) {
    super(code, reason, message);
  }

  override toStatus(): Status {
    return this.status as unknown as Status;
  }
}

function applyError(err: unknown): unknown {
  if (err instanceof ApplyConflictError) return new ApplyStatusError(err.toStatus(), err.code, err.reason, err.message);
  if (err instanceof ApplyRequestError) return new ApplyStatusError(err.toStatus(), err.code, err.code === 400 ? 'BadRequest' : '', err.message);
  return err;
}

function listOptions(query: Query): ListOptions {
  const o: ListOptions = {};
  const set = <K extends keyof ListOptions>(k: K, v: ListOptions[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('labelSelector', q(query, 'labelSelector'));
  set('fieldSelector', q(query, 'fieldSelector'));
  set('limit', qInt(query, 'limit'));
  set('continue', q(query, 'continue') || undefined);
  set('resourceVersion', q(query, 'resourceVersion'));
  set('resourceVersionMatch', q(query, 'resourceVersionMatch') || undefined);
  return o;
}

export interface ResourceRoutesDeps {
  registry: Registry;
  engine: ObjectEngine;
  watches: WatchSet;
  watch: WatchSettings;
  now: () => Date;
  /** The read path of each computed kind (ResourceType.computed); none → 503, as an unavailable aggregated API. */
  computed?: (r: ResourceType) => ComputedSource | undefined;
}

export class ResourceRoutes {
  /** Warnings collected while serving a request, sent as `Warning: 299 - "…"` headers. */
  private readonly warnings = new WeakMap<FastifyReply, string[]>();

  constructor(private readonly d: ResourceRoutesDeps) {}

  /** Entry point for every /api/* and /apis/* request that is not discovery. */
  async handle(req: FastifyRequest, reply: FastifyReply, path: ResourcePath): Promise<void> {
    const { r, namespace, name, subresource } = path;
    const query = req.query as Query;
    const method = req.method;
    const format = negotiate(parseAccept(req.headers.accept), { table: true });
    if (!format) throw notAcceptable(['application/json', 'application/yaml', 'application/json;as=Table;v=v1;g=meta.k8s.io']);
    const verb = verbOf(method, name !== undefined, qBool(query, 'watch') === true);
    if (!verb) throw new ApiError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    if (subresource === '' && !r.verbs.includes(verb)) throw methodNotSupported(gr(r), verb);
    // A namespaced kind is only listed and watched across namespaces; everything else names a namespace.
    if (r.namespaced && namespace === undefined) {
      if (name !== undefined) throw pathNotFound();
      if (verb !== 'list' && verb !== 'watch') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
    // POST goes to the collection (or a subresource such as binding), never to a named object.
    if (verb === 'create' && subresource === '' && name !== undefined) {
      throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    }
    if (r.computed) return this.computedRead(reply, format, r, namespace, name, verb, query);
    const e = this.d.engine;
    const warnings: string[] = [];
    this.warnings.set(reply, warnings);
    let writeOpts: WriteOptions | undefined;
    const wo = () => (writeOpts ??= writeOptions(query, warnings, req.headers['user-agent']));
    if (verb === 'create') checkFieldManager(query, 'CreateOptions');
    if (verb === 'update') checkFieldManager(query, 'UpdateOptions');

    if (subresource === '') {
      switch (verb) {
        case 'get':
          return this.send(reply, 200, format, r, await e.get(r, namespace, name!, q(query, 'resourceVersion') || undefined), query);
        case 'list': {
          const res = await e.list(r, namespace, listOptions(query));
          return this.sendList(reply, format, r, res.items, { resourceVersion: res.resourceVersion, continue: res.continue, remainingItemCount: res.remainingItemCount }, query);
        }
        case 'watch':
          return this.watch(req, reply, r, namespace, name, query, format);
        case 'create':
          return this.send(reply, 201, { kind: 'json' }, r, await e.create(r, namespace, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo()), query);
        case 'update': {
          const res = await e.update(r, namespace, name!, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo());
          return this.send(reply, res.created ? 201 : 200, { kind: 'json' }, r, res.object, query);
        }
        case 'patch': {
          const res = await this.patch(req, r, namespace, name!, '', wo());
          return this.send(reply, res.created ? 201 : 200, { kind: 'json' }, r, res.object, query);
        }
        case 'delete': {
          const dopts = deleteOptions(req, query);
          const w = wo();
          if (dopts.dryRun?.includes('All')) w.dryRun = true;
          const res = await e.delete(r, namespace, name!, dopts, w);
          const kindKey = `${r.group}/${r.kind}`;
          if (res.deleted && !RETURNS_DELETED.has(kindKey)) {
            const details: Record<string, string> = { name: name!, kind: r.plural };
            if (r.group) details['group'] = r.group;
            if (res.object.metadata?.uid) details['uid'] = res.object.metadata.uid;
            return this.sendRaw(reply, 200, format, successStatus(undefined, details));
          }
          return this.send(reply, 200, { kind: 'json' }, r, res.object, query);
        }
        case 'deletecollection': {
          const dopts = deleteOptions(req, query);
          const w = wo();
          if (dopts.dryRun?.includes('All')) w.dryRun = true;
          const items = await e.deleteCollection(r, namespace, listOptions(query), dopts, w);
          return this.sendRaw(reply, 200, format, { kind: r.listKind, apiVersion: groupVersion(r), metadata: {}, items });
        }
      }
    }

    // Subresources.
    if (subresource === 'status') {
      if (verb === 'get') return this.send(reply, 200, format, r, await e.get(r, namespace, name!), query);
      if (verb === 'update') {
        const res = await e.update(r, namespace, name!, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo(), 'status');
        return this.send(reply, 200, { kind: 'json' }, r, res.object, query);
      }
      if (verb === 'patch') return this.send(reply, 200, { kind: 'json' }, r, (await this.patch(req, r, namespace, name!, 'status', wo())).object, query);
    }
    if (subresource === 'scale' && r.scale) {
      if (verb === 'get') return this.sendRaw(reply, 200, format, await e.getScale(r, namespace, name!));
      if (verb === 'update') {
        const body = checkBodyTypes(SCALE_TARGET, decodeBody(req.headers['content-type'], req.body as Buffer));
        return this.sendRaw(reply, 200, format, await e.updateScale(r, namespace, name!, () => body, wo()));
      }
      if (verb === 'patch') {
        const { type, patch } = this.decodePatchBody(req, query, SCALE_PATCH_TYPES);
        const scale = await e.updateScale(r, namespace, name!, (cur) => runPatch(type, cur, patch, 'io.k8s.api.autoscaling.v1.Scale'), wo());
        return this.sendRaw(reply, 200, format, scale);
      }
    }
    if (subresource === 'binding' && verb === 'create') {
      await e.bind(r, namespace!, name!, decodeBody(req.headers['content-type'], req.body as Buffer), wo());
      return this.sendRaw(reply, 201, { kind: 'json' }, successStatus(201));
    }
    if (subresource === 'finalize' && verb === 'update') {
      const obj = await e.finalizeNamespace(name!, decodeBody(req.headers['content-type'], req.body as Buffer), wo());
      return this.send(reply, 200, { kind: 'json' }, r, obj, query);
    }
    if (subresource === 'eviction' && verb === 'create') {
      // A delete with the Eviction's DeleteOptions once the pod's PodDisruptionBudget allows it (eviction.ts),
      // answered as upstream with a 201 Success Status.
      const body = decodeBody(req.headers['content-type'], req.body as Buffer);
      if (!isPlainObject(body)) throw badRequest('the body of the request must be an Eviction object');
      if (body['kind'] !== undefined && body['kind'] !== 'Eviction') throw badRequest(`the kind in the data (${String(body['kind'])}) does not match the expected kind (Eviction)`);
      const meta = body['metadata'] as { name?: string } | undefined;
      if (meta?.name !== undefined && meta.name !== name) throw badRequest(`name in URL does not match name in Eviction object`);
      const dopts = (isPlainObject(body['deleteOptions']) ? body['deleteOptions'] : {}) as DeleteOptions;
      const w = wo();
      if (dopts.dryRun?.includes('All')) w.dryRun = true;
      await evictPod({ registry: this.d.registry, engine: e, now: this.d.now }, r, namespace!, name!, dopts, w);
      return this.sendRaw(reply, 201, { kind: 'json' }, successStatus(201));
    }
    if (subresource === 'log') {
      throw new ApiError(405, 'MethodNotAllowed', `the ${subresource} subresource is not served yet`);
    }
    throw methodNotSupported({ group: r.group, resource: `${r.plural}/${subresource}` }, verb);
  }

  /** get and list of a computed kind (verbs were checked against the registry: nothing else gets here). */
  private async computedRead(
    reply: FastifyReply, format: ResponseFormat, r: ResourceType, ns: string | undefined, name: string | undefined, verb: string, query: Query,
  ): Promise<void> {
    const source = this.d.computed?.(r);
    if (!source) throw new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    if (verb === 'get') return this.send(reply, 200, format, r, await source.get(ns, name!), query);
    const items = await source.list(ns, { labelSelector: q(query, 'labelSelector'), fieldSelector: q(query, 'fieldSelector') });
    if (format.kind === 'table') {
      return this.sendRaw(reply, 200, { kind: 'json' }, toTable(r, items, { includeObject: includeObjectOf(query), now: this.d.now(), listMeta: {} }));
    }
    this.sendRaw(reply, 200, format, { kind: r.listKind, apiVersion: groupVersion(r), metadata: {}, items });
  }

  /** As upstream's PATCH handler: the media type (415), then PatchOptions (422), then the body (400). */
  private decodePatchBody(req: FastifyRequest, query: Query, served = SERVED_PATCH_TYPES): { type: string; patch: unknown } {
    const ct = req.headers['content-type'];
    const type = patchType(ct ?? '');
    if (!served.includes(type)) throw unsupportedMediaType(type, served);
    const errs = validatePatchOptions(type === APPLY_PATCH, q(query, 'fieldManager'), qBool(query, 'force'));
    if (errs.length) throw invalid('meta.k8s.io', 'PatchOptions', '', errs);
    return decodePatch(ct, req.body as Buffer);
  }

  private async patch(
    req: FastifyRequest, r: ResourceType, ns: string | undefined, name: string, sub: Subresource, opts: WriteOptions,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const query = req.query as Query;
    const { type, patch } = this.decodePatchBody(req, query, r.custom ? CUSTOM_PATCH_TYPES : SERVED_PATCH_TYPES);
    if (type === APPLY_PATCH) return this.apply(r, ns, name, sub, patch, query, opts);
    return { object: await this.d.engine.patch(r, ns, name, leavesCurrent((cur) => runPatch(type, cur, patch, r.definition) as KubeObject), opts, sub), created: false };
  }

  /**
   * Server-side apply: merged into the stored object before defaulting (defaults stay unowned, as upstream);
   * a missing object is created from the configuration alone (201), the main resource only.
   */
  private async apply(
    r: ResourceType, ns: string | undefined, name: string, sub: Subresource, body: unknown, query: Query, opts: WriteOptions,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const e = this.d.engine;
    const ao: ApplyOptions = {
      manager: q(query, 'fieldManager')!, force: qBool(query, 'force') === true, definition: r.definition, now: this.d.now(),
      subresource: sub, apiVersion: groupVersion(r),
    };
    const w: WriteOptions = { ...opts, applied: true };
    const run = (live: KubeObject | null): KubeObject => {
      let out: KubeObject;
      try {
        out = serverSideApply(live, body as KubeObject, ao);
      } catch (err) {
        throw applyError(err);
      }
      checkName(r, out, ns, name);
      return out;
    };
    const update = () => e.patch(r, ns, name, run, w, sub);
    try {
      return { object: await update(), created: false };
    } catch (err) {
      const missing = err instanceof ApiError && err.code === 404 && err.details?.name === name && err.details.kind === r.plural;
      if (!missing || sub !== '') throw err;
    }
    const obj = run(null);
    // Upstream's patcher: a uid in the configuration of an object that does not exist is a conflict.
    if (obj.metadata?.uid) throw conflict(gr(r), name, `uid mismatch: the provided object specified uid ${obj.metadata.uid}, and no existing object was found`);
    try {
      return { object: await e.create(r, ns, obj, w), created: true };
    } catch (err) {
      // Lost a race with another creator: apply over what it stored, once.
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
    }
    return { object: await update(), created: false };
  }

  private async watch(
    req: FastifyRequest, reply: FastifyReply, r: ResourceType, ns: string | undefined, name: string | undefined, query: Query, format: ResponseFormat,
  ): Promise<void> {
    const labels = parseLabelSelector(q(query, 'labelSelector'));
    let fieldText = q(query, 'fieldSelector') ?? '';
    if (name !== undefined) fieldText = fieldText ? `${fieldText},metadata.name=${name}` : `metadata.name=${name}`;
    const fields = parseFieldSelector(fieldText);
    checkFieldSelector(r, fields);
    const rv = q(query, 'resourceVersion') || undefined;
    if (rv !== undefined && rv !== '0') parseRV(rv);
    const sendInitialEvents = qBool(query, 'sendInitialEvents');
    const allowWatchBookmarks = qBool(query, 'allowWatchBookmarks') === true;
    if (sendInitialEvents !== undefined) {
      const errs = [];
      if (q(query, 'resourceVersionMatch') !== 'NotOlderThan') {
        errs.push({ type: 'FieldValueForbidden', field: 'resourceVersionMatch', message: 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
      }
      if (sendInitialEvents && !allowWatchBookmarks) {
        errs.push({ type: 'FieldValueForbidden', field: 'allowWatchBookmarks', message: 'Forbidden: allowWatchBookmarks must be set to true when sendInitialEvents is true' });
      }
      if (errs.length) throw invalid('meta.k8s.io', 'ListOptions', '', errs);
    }
    const timeoutSeconds = qInt(query, 'timeoutSeconds');
    // The cache holds the storage version: a converted version's watchers see (and select on) their own.
    const view = cachedView(r);
    const selected = (o: KubeObject) =>
      (labels.length === 0 || matchesLabels(labels, o.metadata?.labels)) && (fields.length === 0 || matchesFields(fields, o));
    const match = view ? (o: KubeObject) => selected(view(o)) : selected;
    const includeObject = includeObjectOf(query);
    // As upstream, only a watch's first Table carries the column definitions.
    let firstTable = true;
    const render = format.kind === 'table'
      ? (o: KubeObject) => {
          const t = toTable(r, [view ? view(o) : o], { includeObject, now: this.d.now() });
          if (!firstTable) t['columnDefinitions'] = [];
          firstTable = false;
          return t;
        }
      : view;
    const cache = this.d.engine.cache(r);
    reply.hijack();
    const params: Parameters<typeof serveWatch>[3] = {
      namespace: ns, resourceVersion: rv, sendInitialEvents, allowWatchBookmarks, timeoutSeconds, match,
    };
    if (render) params.render = render;
    await serveWatch(reply.raw, r, cache, params, this.d.watch, this.d.watches);
  }

  private send(reply: FastifyReply, code: number, format: ResponseFormat, r: ResourceType, obj: KubeObject, query: Query): void {
    if (format.kind === 'table') {
      const table = toTable(r, [obj], { includeObject: includeObjectOf(query), now: this.d.now() });
      return this.sendRaw(reply, code, { kind: 'json' }, table);
    }
    // A write's result goes out as the JSON just stored: no second serialisation.
    const stored = format.kind === 'json' ? this.d.engine.jsonOf(obj) : undefined;
    if (stored !== undefined) {
      this.warningHeader(reply);
      sendText(reply, code, 'application/json', stored);
      return;
    }
    this.sendRaw(reply, code, format, obj);
  }

  private sendList(
    reply: FastifyReply, format: ResponseFormat, r: ResourceType, items: Entry[],
    listMeta: { resourceVersion: string; continue?: string | undefined; remainingItemCount?: number | undefined }, query: Query,
  ): void {
    const meta: Record<string, unknown> = { resourceVersion: listMeta.resourceVersion };
    if (listMeta.continue) meta['continue'] = listMeta.continue;
    if (listMeta.remainingItemCount !== undefined) meta['remainingItemCount'] = listMeta.remainingItemCount;
    if (format.kind === 'table') {
      const table = toTable(r, items.map((e) => e.object), { includeObject: includeObjectOf(query), now: this.d.now(), listMeta: meta });
      return this.sendRaw(reply, 200, { kind: 'json' }, table);
    }
    if (format.kind === 'yaml') {
      return this.sendRaw(reply, 200, format, { kind: r.listKind, apiVersion: groupVersion(r), metadata: meta, items: items.map((e) => e.object) });
    }
    // Each object's JSON is produced once (memoised in the watch cache, or the stored bytes themselves).
    const head = `{"kind":"${r.listKind}","apiVersion":"${groupVersion(r)}","metadata":${JSON.stringify(meta)},"items":[`;
    if (items.length <= STREAM_LIST_ABOVE) {
      sendText(reply, 200, 'application/json', head + items.map(entryJson).join(',') + ']}');
      return;
    }
    // Large lists go out in chunks as they are serialised: no single many-megabyte string, less GC.
    reply.hijack();
    streamList(reply.raw, head, items).catch(() => reply.raw.destroy());
  }

  private warningHeader(reply: FastifyReply): void {
    const warnings = this.warnings.get(reply);
    if (warnings?.length) reply.header('warning', warnings.map((w) => `299 - ${JSON.stringify(w)}`));
  }

  sendRaw(reply: FastifyReply, code: number, format: ResponseFormat, obj: unknown): void {
    this.warningHeader(reply);
    if (format.kind === 'yaml') {
      sendText(reply, code, 'application/yaml', toYaml(obj));
      return;
    }
    sendText(reply, code, 'application/json', JSON.stringify(obj));
  }
}

/** Lists longer than this are written in chunks instead of one body. */
const STREAM_LIST_ABOVE = 2000;

async function streamList(res: import('node:http').ServerResponse, head: string, items: Entry[]): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  let chunk = head;
  for (let i = 0; i < items.length; i++) {
    chunk += (i ? ',' : '') + entryJson(items[i]!);
    if (chunk.length >= 1 << 20) {
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
      chunk = '';
    }
  }
  res.end(chunk + ']}');
}

function includeObjectOf(query: Query): 'None' | 'Metadata' | 'Object' {
  const v = q(query, 'includeObject');
  if (v === undefined || v === '') return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "None", "Metadata", "Object"`);
}

function verbOf(method: string, named: boolean, watch: boolean): string | null {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return named ? 'update' : null;
    case 'PATCH':
      return named ? 'patch' : null;
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return null;
  }
}

/** Upstream's checkName and namespace check on a patched object (name and namespace must match the URL). */
function checkName(r: ResourceType, obj: KubeObject, ns: string | undefined, name: string): void {
  const meta = obj.metadata ?? {};
  if (!meta.name) throw badRequest(`the name of the object (${name} based on URL) was undeterminable: name must be provided`);
  if (meta.name !== name) throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  if (r.namespaced && meta.namespace && meta.namespace !== ns) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
}

function runPatch(type: string, cur: KubeObject, patch: unknown, definition: string): unknown {
  try {
    return applyPatch(type, cur, patch, definition);
  } catch (err) {
    if (err instanceof PatchError) {
      if (err.code === 415) throw unsupportedMediaType(type, SERVED_PATCH_TYPES);
      if (err.code === 422) throw new ApiError(422, 'Invalid', err.message);
      throw badRequest(err.message);
    }
    throw err;
  }
}

/** DeleteOptions from the body (JSON or YAML) and the query; the query wins, as upstream. */
function deleteOptions(req: FastifyRequest, query: Query): DeleteOptions {
  let o: DeleteOptions = {};
  const raw = req.body as Buffer | undefined;
  if (raw && raw.length > 0) {
    const body = decodeBody(req.headers['content-type'], raw);
    if (body !== null && !isPlainObject(body)) throw badRequest('the body of a delete must be a DeleteOptions object');
    if (body) {
      const kind = body['kind'];
      if (kind !== undefined && kind !== 'DeleteOptions') throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (DeleteOptions)`);
      o = body as DeleteOptions;
    }
  }
  const grace = qInt(query, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  const policy = q(query, 'propagationPolicy');
  if (policy !== undefined) o.propagationPolicy = policy;
  const orphan = qBool(query, 'orphanDependents');
  if (orphan !== undefined) o.orphanDependents = orphan;
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    throw invalid('meta.k8s.io', 'DeleteOptions', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
  }
  if (o.dryRun?.some((v) => v !== 'All')) throw badRequest(`Invalid dryRun value; the only supported value is "All"`);
  return o;
}

/** Resolves /api/... or /apis/... request paths; null for discovery paths and unknown resources. */
export function splitApiPath(url: string): { core: boolean; segs: string[] } | null {
  const path = url.split('?')[0]!;
  let segs: string[];
  try {
    segs = path.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`malformed escape in the request path: ${path}`);
  }
  if (segs[segs.length - 1] === '') segs.pop();
  if (segs[0] === 'api') return { core: true, segs: segs.slice(1) };
  if (segs[0] === 'apis') return { core: false, segs: segs.slice(1) };
  return null;
}

export { pathNotFound };
