/**
 * The resource routes: /api/<v>/… and /apis/<g>/<v>/… parsed against the registry and dispatched to the
 * ObjectEngine by verb. Nothing here is per kind: a new registry entry is served as soon as it exists.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { stringify as toYaml } from 'yaml';
import { groupVersion, type ComputedSource, type KubeObject, type ResourceType } from '../resource.js';
import type { Registry } from '../registry.js';
import { ObjectEngine, gr, type DeleteOptions, type ListOptions, type Subresource, type WriteOptions, parseRV } from './objects.js';
import { encodeProtobuf, NotEncodable, PROTOBUF_MEDIA_TYPE } from '../protobuf/encode.js';
import { watchEncodable } from '../protobuf/watch-frame.js';
import {
  ACCEPTED_MEDIA_TYPES, ACCEPTED_STREAM_MEDIA_TYPES, decodeBody, decodePatch, negotiate, isPlainObject, prettyJson, sendText, streams, type ResponseFormat,
} from '../content.js';
import { ApiError, badRequest, conflict, methodNotSupported, notAcceptable, pathNotFound, successStatus, unsupportedMediaType, type Status } from '../status.js';
import { entryJson, type Entry } from '../watch/cache.js';
import { serveWatch, type WatchSet, type WatchSettings } from '../watch/stream.js';
import { parseLabelSelector, matchesLabels } from '../selectors/label.js';
import { parseFieldSelector, matchesFields, checkFieldSelector } from '../selectors/field.js';
import { asPartialObjectMetadata, transformList, transformObject, type TransformOptions } from '../transform.js';
import { APPLY_PATCH, STRATEGIC_MERGE_PATCH, applyPatch, patchType, PatchError, servedPatchTypes } from '../patch/index.js';
import {
  ApplyConflictError, ApplyRequestError, managerOf, serverSideApply, type ApplyOptions,
} from '../patch/apply/index.js';
import {
  deleteOptions, getOptions, listOptions, patchOptions, prettyPrint, tableOptions, writeOptions, type ListQuery, type PatchQuery, type QueryValues,
  type WriteQuery,
} from '../params/options.js';
import { queryBool } from '../params/convert.js';
import { checkBodyTypes, type DecodeTarget } from '../validation/decode-types.js';
import { evictPod } from './eviction.js';
import { userOf } from '../auth/request.js';
import { auditAnnotator } from '../audit/index.js';
import type { UserInfo } from '../auth/user.js';
import { servePodLog, servePodStream, STREAM_SUBRESOURCES } from './pod-streams.js';
import { serveProxy } from './proxy.js';
import { cachedView, warmView } from './engine/conversion.js';
import { leavesCurrent } from './engine/guaranteed-update.js';

/** A parsed resource path. */
export interface ResourcePath {
  r: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string;
  /** What follows `proxy` in a pods|services/<id>/proxy/… path. */
  proxyPath?: string;
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
  if (!plural || (rest.length > 0 && subresource !== 'proxy')) return null;
  const r = registry.lookup(group, version, plural);
  if (!r) return null;
  if (namespace !== undefined && !r.namespaced) return null;
  if (name === '') return null;
  if (subresource !== undefined) {
    const finalize = r.kind === 'Namespace' && r.group === '' && subresource === 'finalize';
    if (!finalize && !r.subresources.includes(subresource)) return null;
  }
  if (subresource === 'proxy') return { r, namespace, name, subresource, proxyPath: rest.join('/') };
  return { r, namespace, name, subresource: subresource ?? '' };
}

type Query = QueryValues;

/** The engine's options for a write, from validated CreateOptions/UpdateOptions/PatchOptions. */
function engineWriteOptions(w: WriteQuery, warnings: string[], req: FastifyRequest, user: UserInfo | undefined = userOf(req)): WriteOptions {
  const opts: WriteOptions = { dryRun: w.dryRun, fieldValidation: w.fieldValidation, warnings, fieldManager: managerOf(w.fieldManager, req.headers['user-agent']), user };
  const audit = auditAnnotator(req);
  if (audit) opts.auditAnnotation = audit;
  return opts;
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

/** The engine's list options from validated ListOptions. */
function engineListOptions(o: ListQuery): ListOptions {
  const out: ListOptions = {};
  if (o.labelSelector !== undefined) out.labelSelector = o.labelSelector;
  if (o.fieldSelector !== undefined) out.fieldSelector = o.fieldSelector;
  if (o.limit !== undefined) out.limit = o.limit;
  if (o.continue !== undefined) out.continue = o.continue;
  if (o.resourceVersion !== undefined) out.resourceVersion = o.resourceVersion;
  if (o.resourceVersionMatch !== undefined) out.resourceVersionMatch = o.resourceVersionMatch;
  return out;
}

/** A request's body, or undefined when it has none (a DELETE's DeleteOptions are then read from the query). */
const bodyOf = (req: FastifyRequest): unknown => {
  const raw = req.body as Buffer | undefined;
  return raw && raw.length > 0 ? decodeBody(req.headers['content-type'], raw) : undefined;
};

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
    // The proxy answers with whatever the target sends: no negotiation, no verb checks of its own.
    if (subresource === 'proxy' && namespace !== undefined && name !== undefined) return serveProxy(this.d, req, reply, r, namespace, name, path.proxyPath ?? '');
    const query = req.query as Query;
    const method = req.method;
    // Tables need the kind's printer: the object and its status print, scale and the other subresources do not,
    // nor create-only kinds (access reviews, TokenReview), which upstream serves without a TableConvertor (406).
    const printable = (subresource === '' || subresource === 'status') && r.verbs.some((v) => v !== 'create');
    const format = negotiate(req.headers.accept, { table: printable, watch: queryBool(query, 'watch') === true });
    if (!format) throw notAcceptable(queryBool(query, 'watch') === true ? ACCEPTED_STREAM_MEDIA_TYPES : ACCEPTED_MEDIA_TYPES);
    if (prettyPrint(query, req.headers['user-agent'])) format.pretty = true;
    const verb = verbOf(method, name !== undefined, queryBool(query, 'watch') === true);
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
    const e = this.d.engine;
    const warnings: string[] = [];
    this.warnings.set(reply, warnings);
    if (r.deprecationWarning) warnings.push(r.deprecationWarning);
    const userAgent = req.headers['user-agent'];
    // CreateOptions/UpdateOptions are decoded and validated before the body is read, as upstream's handlers do.
    let writeOpts: WriteOptions | undefined;
    const user = userOf(req);
    const wo = () => (writeOpts ??= engineWriteOptions(writeOptions(query, verb === 'update' ? 'UpdateOptions' : 'CreateOptions'), warnings, req, user));
    if (verb === 'create' || verb === 'update') wo();
    // core/v1 bindings: pods/binding for the pod the body names (upstream's LegacyBindingREST).
    if (r.bindingOf && verb === 'create') return this.bindNamed(req, reply, format, r, r.bindingOf, namespace!, wo());
    if (r.computed) return this.computedRead(reply, format, r, namespace, name, verb, query);
    // A delete's options: DeleteOptions (body or query); its write carries no fieldManager of the client's.
    const deleteWrite = (dopts: DeleteOptions): WriteOptions => ({
      dryRun: dopts.dryRun?.includes('All') === true, fieldValidation: 'Warn', warnings, fieldManager: managerOf(undefined, userAgent), user,
      auditAnnotation: auditAnnotator(req),
    });

    if (subresource === '') {
      switch (verb) {
        case 'get':
          return this.send(reply, 200, format, r, await e.get(r, namespace, name!, getOptions(query).resourceVersion), query);
        case 'list': {
          const res = await e.list(r, namespace, engineListOptions(listOptions(query)));
          return this.sendList(reply, format, r, res.items, { resourceVersion: res.resourceVersion, continue: res.continue, remainingItemCount: res.remainingItemCount }, query);
        }
        case 'watch':
          return this.watch(req, reply, r, namespace, name, query, format);
        case 'create':
          return this.send(reply, 201, format, r, await e.create(r, namespace, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo()), query);
        case 'update': {
          const res = await e.update(r, namespace, name!, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo());
          return this.send(reply, res.created ? 201 : 200, format, r, res.object, query);
        }
        case 'patch': {
          const res = await this.patch(req, r, namespace, name!, '', warnings);
          return this.send(reply, res.created ? 201 : 200, format, r, res.object, query);
        }
        case 'delete': {
          const dopts = deleteOptions(query, bodyOf(req));
          const res = await e.delete(r, namespace, name!, dopts, deleteWrite(dopts));
          const kindKey = `${r.group}/${r.kind}`;
          if (res.deleted && !RETURNS_DELETED.has(kindKey)) {
            const details: Record<string, string> = { name: name!, kind: r.plural };
            if (r.group) details['group'] = r.group;
            if (res.object.metadata?.uid) details['uid'] = res.object.metadata.uid;
            return this.sendRaw(reply, 200, format, successStatus(undefined, details));
          }
          return this.send(reply, 200, format, r, res.object, query);
        }
        case 'deletecollection': {
          const lo = engineListOptions(listOptions(query));
          const dopts = deleteOptions(query, bodyOf(req));
          const items = await e.deleteCollection(r, namespace, lo, dopts, deleteWrite(dopts));
          return this.sendObjects(reply, format, r, items, {}, query);
        }
      }
    }

    // Subresources.
    // /approval (CertificateSigningRequests) is served as /status is; the kind's strategy narrows what it writes.
    if (subresource === 'status' || subresource === 'approval') {
      if (verb === 'get') return this.send(reply, 200, format, r, await e.get(r, namespace, name!, getOptions(query).resourceVersion), query);
      if (verb === 'update') {
        const res = await e.update(r, namespace, name!, bodyTypes(r, decodeBody(req.headers['content-type'], req.body as Buffer)), wo(), subresource);
        return this.send(reply, 200, format, r, res.object, query);
      }
      if (verb === 'patch') return this.send(reply, 200, format, r, (await this.patch(req, r, namespace, name!, subresource, warnings)).object, query);
    }
    if (subresource === 'scale' && r.scale) {
      if (verb === 'get') return this.sendScale(reply, format, r, await e.getScale(r, namespace, name!));
      if (verb === 'update') {
        const body = checkBodyTypes(SCALE_TARGET, decodeBody(req.headers['content-type'], req.body as Buffer));
        return this.sendScale(reply, format, r, await e.updateScale(r, namespace, name!, () => body, wo()));
      }
      if (verb === 'patch') {
        const { type, patch, options } = this.decodePatchBody(req, query, SCALE_PATCH_TYPES);
        const w = engineWriteOptions(options, warnings, req, user);
        const scale = await e.updateScale(r, namespace, name!, (cur) => runPatch(type, cur, patch, 'io.k8s.api.autoscaling.v1.Scale'), w);
        return this.sendScale(reply, format, r, scale);
      }
    }
    if (subresource === 'binding' && verb === 'create') {
      await e.bind(r, namespace!, name!, decodeBody(req.headers['content-type'], req.body as Buffer), wo());
      return this.sendRaw(reply, 201, format, successStatus(201));
    }
    if (subresource === 'finalize' && verb === 'update') {
      const obj = await e.finalizeNamespace(name!, decodeBody(req.headers['content-type'], req.body as Buffer), wo());
      return this.send(reply, 200, format, r, obj, query);
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
      // Admission sees the Eviction as upstream's pods/eviction create (NodeRestriction: a node evicts only its own pods).
      const admission = e.admission;
      if (admission) {
        const at = { operation: 'CREATE' as const, resource: r, subresource: 'eviction', namespace, name: name!, object: body as KubeObject, oldObject: null, dryRun: w.dryRun === true, user: w.user, warnings: w.warnings, audit: w.auditAnnotation };
        await admission.validate({ ...at, object: await admission.admit(at) });
      }
      await evictPod({ registry: this.d.registry, engine: e, now: this.d.now }, r, namespace!, name!, dopts, w);
      return this.sendRaw(reply, 201, format, successStatus(201));
    }
    // The kubelet API through the pod's node (pod-streams.ts).
    if (subresource === 'log' && verb === 'get') return servePodLog(this.d, req, reply, r, namespace!, name!);
    if (STREAM_SUBRESOURCES.has(subresource) && (verb === 'get' || verb === 'create')) return servePodStream(this.d, req, reply, r, namespace!, name!, subresource);
    throw methodNotSupported({ group: r.group, resource: `${r.plural}/${subresource}` }, verb);
  }

  /** A create of `plural`'s binding subresource for the object named by the body's metadata.name. */
  private async bindNamed(
    req: FastifyRequest, reply: FastifyReply, format: ResponseFormat, r: ResourceType, plural: string, ns: string, w: WriteOptions,
  ): Promise<void> {
    const body = decodeBody(req.headers['content-type'], req.body as Buffer);
    const target = this.d.registry.lookup(r.group, r.version, plural);
    const meta = isPlainObject(body) && isPlainObject(body['metadata']) ? body['metadata'] : undefined;
    const name = typeof meta?.['name'] === 'string' ? meta['name'] : '';
    // Upstream's key function refuses an empty name before the pod is looked up.
    if (!target || name === '') throw badRequest('Name parameter required.');
    await this.d.engine.bind(target, ns, name, body, w);
    return this.sendRaw(reply, 201, format, successStatus(201));
  }

  /** get and list of a computed kind (verbs were checked against the registry: nothing else gets here). */
  private async computedRead(
    reply: FastifyReply, format: ResponseFormat, r: ResourceType, ns: string | undefined, name: string | undefined, verb: string, query: Query,
  ): Promise<void> {
    const source = this.d.computed?.(r);
    if (!source) throw new ApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
    if (verb === 'get') return this.send(reply, 200, format, r, await source.get(ns, name!), query);
    const lo = listOptions(query);
    this.sendObjects(reply, format, r, await source.list(ns, { labelSelector: lo.labelSelector, fieldSelector: lo.fieldSelector }), {}, query);
  }

  /** As upstream's PATCH handler: the media type (415), then PatchOptions (422), then the body (400). */
  private decodePatchBody(req: FastifyRequest, query: Query, served = SERVED_PATCH_TYPES): { type: string; patch: unknown; options: PatchQuery } {
    const ct = req.headers['content-type'];
    const type = patchType(ct ?? '');
    if (!served.includes(type)) throw unsupportedMediaType(type, served);
    const options = patchOptions(query, type === APPLY_PATCH);
    return { ...decodePatch(ct, req.body as Buffer), options };
  }

  private async patch(
    req: FastifyRequest, r: ResourceType, ns: string | undefined, name: string, sub: Subresource, warnings: string[],
  ): Promise<{ object: KubeObject; created: boolean }> {
    const query = req.query as Query;
    const { type, patch, options } = this.decodePatchBody(req, query, r.custom ? CUSTOM_PATCH_TYPES : SERVED_PATCH_TYPES);
    const opts = engineWriteOptions(options, warnings, req);
    if (type === APPLY_PATCH) return this.apply(r, ns, name, sub, patch, options, opts);
    return { object: await this.d.engine.patch(r, ns, name, leavesCurrent((cur) => runPatch(type, cur, patch, r.definition) as KubeObject), opts, sub), created: false };
  }

  /**
   * Server-side apply: merged into the stored object before defaulting (defaults stay unowned, as upstream);
   * a missing object is created from the configuration alone (201), the main resource only.
   */
  private async apply(
    r: ResourceType, ns: string | undefined, name: string, sub: Subresource, body: unknown, options: PatchQuery, opts: WriteOptions,
  ): Promise<{ object: KubeObject; created: boolean }> {
    const e = this.d.engine;
    const ao: ApplyOptions = {
      manager: options.fieldManager!, force: options.force === true, definition: r.definition, now: this.d.now(),
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
    const lo = listOptions(query, true);
    // NegotiateOutputMediaTypeStream: the chosen serializer must frame a stream (YAML does not).
    if (!streams(format)) throw notAcceptable(ACCEPTED_STREAM_MEDIA_TYPES);
    const labels = parseLabelSelector(lo.labelSelector);
    let fieldText = lo.fieldSelector ?? '';
    if (name !== undefined) fieldText = fieldText ? `${fieldText},metadata.name=${name}` : `metadata.name=${name}`;
    const fields = parseFieldSelector(fieldText);
    checkFieldSelector(r, fields);
    const rv = lo.resourceVersion;
    if (rv !== undefined && rv !== '0') parseRV(rv);
    // The cache holds the storage version: a converted version's watchers see (and select on) their own.
    const view = cachedView(r);
    const selected = (o: KubeObject) =>
      (labels.length === 0 || matchesLabels(labels, o.metadata?.labels)) && (fields.length === 0 || matchesFields(fields, o));
    const match = view && (labels.length || fields.length) ? (o: KubeObject) => selected(view(o)) : selected;
    const served = view ?? ((o: KubeObject) => o);
    let render: ((o: KubeObject) => unknown) | undefined = view;
    let bookmarkAs: { kind: string; apiVersion: string } | undefined;
    const as = format.as;
    if (as?.kind === 'Table') {
      const opts = this.transformOptions(format, query);
      // As upstream, only a watch's first Table carries the column definitions.
      let firstTable = true;
      render = (o) => {
        const t = transformObject(r, served(o), as, opts);
        if (!firstTable) t['columnDefinitions'] = [];
        firstTable = false;
        return t;
      };
    } else if (as?.kind === 'PartialObjectMetadata') {
      // Metadata-only watches (client-go's metadata informers): events and bookmarks carry PartialObjectMetadata.
      render = (o) => asPartialObjectMetadata(served(o), as.version);
      bookmarkAs = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${as.version}` };
    }
    // PartialObjectMetadataList does not apply to single events: upstream's watch then sends the objects as they are.
    const cache = this.d.engine.cache(r);
    reply.hijack();
    const params: Parameters<typeof serveWatch>[3] = {
      namespace: ns, resourceVersion: rv, sendInitialEvents: lo.sendInitialEvents, allowWatchBookmarks: lo.allowWatchBookmarks,
      // timeoutSeconds=0 is unset: the server's random minimum request timeout applies.
      timeoutSeconds: lo.timeoutSeconds || undefined, match,
    };
    if (render) params.render = render;
    if (bookmarkAs) params.bookmarkAs = bookmarkAs;
    // Protobuf frames for kinds with a wire form; others (custom resources) stream JSON, as their lists answer.
    if (format.media === 'protobuf' && !as && !r.custom && watchEncodable(groupVersion(r), r.kind)) params.protobuf = true;
    // An awaited conversion (a conversion webhook) fills the view first; previous states only matter to selectors.
    const warm = warmView(r);
    if (warm) params.prepare = (objs, prev) => warm(labels.length || fields.length ? [...objs, ...prev] : objs);
    await serveWatch(reply.raw, r, cache, params, this.d.watch, this.d.watches);
  }

  private transformOptions(format: ResponseFormat, query: Query): TransformOptions {
    return { includeObject: format.as?.kind === 'Table' ? tableOptions(query).includeObject : 'Metadata', now: this.d.now() };
  }

  private send(reply: FastifyReply, code: number, format: ResponseFormat, r: ResourceType, obj: KubeObject, query: Query): void {
    if (format.as) return this.sendRaw(reply, code, format, transformObject(r, obj, format.as, this.transformOptions(format, query)));
    // A write's result goes out as the JSON just stored: no second serialisation.
    const stored = format.media === 'json' && !format.pretty ? this.d.engine.jsonOf(obj) : undefined;
    if (stored !== undefined) {
      this.warningHeader(reply);
      sendText(reply, code, 'application/json', stored);
      return;
    }
    this.sendRaw(reply, code, format, obj);
  }

  /** A Scale: JSON or YAML, or its metadata alone; it has no Table (negotiation offers none on /scale). */
  private sendScale(reply: FastifyReply, format: ResponseFormat, r: ResourceType, scale: KubeObject): void {
    if (format.as?.kind === 'PartialObjectMetadataList') {
      throw new ApiError(406, 'NotAcceptable', 'you requested PartialObjectMetadataList, but the requested object is not a list (*autoscaling.Scale)');
    }
    this.sendRaw(reply, 200, format, format.as ? asPartialObjectMetadata(scale, format.as.version) : scale);
  }

  /** A list of plain objects (computed kinds, deletecollection's result), converted as asked. */
  private sendObjects(reply: FastifyReply, format: ResponseFormat, r: ResourceType, items: KubeObject[], meta: Record<string, unknown>, query: Query): void {
    if (format.as) return this.sendRaw(reply, 200, format, transformList(r, items, meta, format.as, this.transformOptions(format, query)));
    this.sendRaw(reply, 200, format, { kind: r.listKind, apiVersion: groupVersion(r), metadata: meta, items });
  }

  private sendList(
    reply: FastifyReply, format: ResponseFormat, r: ResourceType, items: Entry[],
    listMeta: { resourceVersion: string; continue?: string | undefined; remainingItemCount?: number | undefined }, query: Query,
  ): void {
    const meta: Record<string, unknown> = { resourceVersion: listMeta.resourceVersion };
    if (listMeta.continue) meta['continue'] = listMeta.continue;
    if (listMeta.remainingItemCount !== undefined) meta['remainingItemCount'] = listMeta.remainingItemCount;
    if (format.as || format.media !== 'json' || format.pretty) return this.sendObjects(reply, format, r, items.map((e) => e.object), meta, query);
    // Each object's JSON is produced once (memoised in the watch cache, or the stored bytes themselves).
    this.warningHeader(reply);
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
    if (format.media === 'yaml') {
      sendText(reply, code, 'application/yaml', toYaml(obj));
      return;
    }
    if (format.media === 'protobuf') {
      // An object with a field the wire table lacks goes out as JSON, which protobuf clients accept too.
      try {
        reply.code(code).header('content-type', PROTOBUF_MEDIA_TYPE).send(encodeProtobuf(obj));
        return;
      } catch (err) {
        if (!(err instanceof NotEncodable)) throw err;
      }
    }
    const text = JSON.stringify(obj);
    sendText(reply, code, 'application/json', format.pretty ? prettyJson(text) : text);
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

/** Resolves /api/... or /apis/... request paths; null for discovery paths and unknown resources. */
export function splitApiPath(url: string): { core: boolean; segs: string[] } | null {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const segs = path.split('/');
  segs.shift();
  // Without a '%' every segment decodes to itself (this runs on every request).
  if (path.includes('%')) {
    try {
      for (let i = 0; i < segs.length; i++) segs[i] = decodeURIComponent(segs[i]!);
    } catch {
      throw badRequest(`malformed escape in the request path: ${path}`);
    }
  }
  if (segs[segs.length - 1] === '') segs.pop();
  if (segs[0] === 'api') return { core: true, segs: segs.slice(1) };
  if (segs[0] === 'apis') return { core: false, segs: segs.slice(1) };
  return null;
}

export { pathNotFound };
