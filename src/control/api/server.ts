/**
 * The API server as a fastify app, built without listening (tests call `app.inject()`; the CLI listens).
 * One error handler turns every failure into a Kubernetes Status; resource routes come from the registry.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { Store } from '../storage/store.js';
import type { ResourceType } from './resource.js';
import { builtinResources, servedResources } from './kinds/index.js';
import { startMetricsApi, type MetricsOptions } from './metrics/index.js';
import { WebhookAdmission, engineWebhookSource } from './admission/webhooks.js';
import { AdmissionChain } from './admission/chain.js';
import { DefaultStorageClass, engineStorageClassSource } from './admission/default-storage-class.js';
import { PriorityAdmission, enginePriorityClassSource } from './admission/priority.js';
import { LimitRanger, engineLimitRangeSource } from './admission/limit-ranger.js';
import { PodSecurityAdmission, enginePodSecuritySource } from './admission/pod-security.js';
import type { AdmissionConfig } from './admission/admission-config.js';
import { ResourceQuotaAdmission, engineQuotaStore } from './admission/resource-quota.js';
import { ValidatingAdmissionPolicyAdmission, enginePolicySource } from './admission/validating-policy.js';
import { Registry } from './registry.js';
import { ApiError, badRequest, internalError, pathNotFound, tooLarge, unsupportedMediaType } from './status.js';
import { BODY_MEDIA_TYPES, MAX_BODY_BYTES, sendText } from './content.js';
import { ObjectEngine, type EngineOptions } from './routes/objects.js';
import { ResourceRoutes, parseResourcePath, splitApiPath } from './routes/resources.js';
import { routeUpgrades } from './routes/pod-streams.js';
import { serveDiscovery } from './routes/discovery.js';
import { registerSystemRoutes } from './routes/system.js';
import { NamespaceLifecycle } from './routes/namespace-lifecycle.js';
import { WatchSet } from './watch/stream.js';
import { startCustomResources } from './crd/index.js';
import { installAuthentication, registerAuthenticationApi, unsecuredChain, type AuthenticationChain } from './auth/index.js';
import { authenticationResources } from './auth/kinds.js';
import { authorizationResources, setupAuthorization, type AuthorizationConfig } from './authz/index.js';
import { Aggregator, type AggregatorOptions } from './aggregator/index.js';
import { BearerTokenAuthenticator } from './auth/bearer.js';
import { ServiceAccountAdmission, engineServiceAccountSource } from './admission/service-account.js';
import { NodeRestriction, engineNodeRestrictionSource } from './admission/node-restriction.js';
import {
  engineServiceAccountObjects, registerServiceAccountApi, serviceAccountAuthenticator, type ServiceAccountTokenConfig,
} from './serviceaccount/index.js';
import { EncryptedStore } from '../storage/encryption/store.js';
import type { EncryptionConfig } from '../storage/encryption/config.js';
import { installAudit, type AuditOptions, type InstalledAudit } from './audit/index.js';
import { installLimits, type LimitOptions } from './limits/index.js';
import { servingTlsOptions } from '../pki/serving-tls.js';
import {
  absentProbe, componentStatusSource, leaseProbe, storageProbe, type ComponentProbe,
} from './kinds/componentstatus-source.js';
import { leases } from './kinds/coordination.js';
import { DEFAULT_EVENT_TTL_MS, EventExpiry } from './event-ttl.js';

export interface ServerOptions {
  store: Store;
  resources?: readonly ResourceType[];
  /** pino logger; absent = silent. */
  logger?: Logger;
  engine?: EngineOptions;
  /** Call the stored admission webhooks before storage (default true). */
  admissionWebhooks?: boolean;
  /**
   * Deletes with propagationPolicy Orphan/Foreground add upstream's `orphan`/`foregroundDeletion` finalizers, which
   * the garbage collector (a controller) removes. Default true, as kube-apiserver; engine.gcFinalizers wins if set.
   */
  gcFinalizers?: boolean;
  /** How often watchers that allow bookmarks get one (upstream: about a minute). */
  bookmarkIntervalMs?: number;
  /** How often terminating namespaces are swept. */
  namespaceSweepMs?: number;
  /**
   * Compaction as kube-apiserver does it: every interval, compact storage to the revision seen one interval
   * earlier. 0 disables it.
   */
  compactIntervalMs?: number;
  /** kube-apiserver's --event-ttl: Events are removed this long after their last write (default 1 h; 0: kept). */
  eventTtlMs?: number;
  /** host:port advertised in /api's serverAddressByClientCIDRs. */
  serverAddress?: string;
  /**
   * metrics.k8s.io (scrapes of node agents' usage; resolution, timeout); false leaves the group out. Served by
   * default unless `resources` is given (then it is served only if that list holds its kinds).
   */
  metrics?: MetricsOptions | false;
  /**
   * Health probes of the components this process runs (componentstatuses), each replacing the default of its
   * name: scheduler (absent unless given), controller-manager (its leader Lease), etcd-0 (the store).
   */
  components?: ComponentProbe[];
  /** Serve HTTPS with these TLS options (key, cert, ca, requestCert, …); absent: plain HTTP. */
  https?: HttpsOptions;
  /** Who each request is (auth/); absent: every request is system:unsecured, as upstream's old insecure port. */
  authentication?: AuthenticationChain;
  /**
   * Authorisation: modes in order, as kube-apiserver's --authorization-mode ({ modes: ['Node', 'RBAC'] }, or
   * Authorizers of the caller's), behind the system:masters shortcut; RBAC reconciles the bootstrap policy at
   * start. Absent: every request is allowed.
   */
  authorization?: AuthorizationConfig;
  /** API aggregation: APIServices with a service are proxied (default on; false: not served). */
  aggregator?: AggregatorOptions | false;
  /**
   * ServiceAccount tokens: TokenRequest (serviceaccounts/token), issuer discovery, and the token authenticator added
   * after `authentication`'s own; `admission: true` also runs the ServiceAccount admission plugin.
   */
  serviceAccounts?: ServiceAccountTokenConfig;
  /** Encryption at rest (kube-apiserver's --encryption-provider-config): the store is wrapped to encrypt what it names. */
  encryption?: EncryptionConfig;
  /** The audit log (--audit-policy-file, --audit-log-path): a policy and where events go; the sink is closed with the server. */
  audit?: AuditOptions;
  /** Admission plugins' configuration (--admission-control-config-file): PodSecurity's defaults and exemptions. */
  admission?: AdmissionConfig;
  /**
   * Request deadline and API Priority and Fairness (limits/, flowcontrol/) with upstream's defaults (60 s, 400 +
   * 200 seats shared by the priority levels); `enablePriorityAndFairness: false` keeps the older per-user budgets
   * (400 read-only, 200 mutating); false turns limits off.
   */
  limits?: LimitOptions | false;
  /** Largest request head (node's maxHeaderSize; upstream's 1 MiB): beyond it the request is refused with 431. */
  maxHeaderBytes?: number;
}

export interface ApiServer {
  app: FastifyInstance;
  engine: ObjectEngine;
  registry: Registry;
  watches: WatchSet;
  /** Ends watches, stops loops and the app; the store is the caller's to close. */
  close(): Promise<void>;
}

/** kube-apiserver's MaxHeaderBytes. */
const MAX_HEADER_BYTES = 1 << 20;

export async function buildServer(opts: ServerOptions): Promise<ApiServer> {
  const registry = new Registry(opts.resources ?? (opts.metrics === false ? builtinResources : servedResources));
  // authentication.k8s.io's reviews (answered by auth/reviews.ts) are served unless the caller chose the kinds.
  if (!opts.resources) registry.replace(() => false, authenticationResources);
  if (!opts.resources) registry.replace(() => false, authorizationResources);
  const log = opts.logger;
  // Encryption sits between the engine and the backend: the engine and the watch cache see plaintext.
  const store = opts.encryption ? new EncryptedStore(opts.store, opts.encryption) : opts.store;
  const engine = new ObjectEngine(store, registry, {
    gcFinalizers: opts.gcFinalizers ?? true,
    ...opts.engine,
    onError: opts.engine?.onError ?? ((err) => log?.error({ err }, 'watch cache error')),
  });
  const authorization = setupAuthorization(engine, opts.authorization, (err) => log?.error({ err }, 'authorization'));
  // Built-in admission first (Priority, DefaultStorageClass, in upstream's order), then the webhooks, on as
  // upstream's MutatingAdmissionWebhook/ValidatingAdmissionWebhook are by default.
  engine.admission = new AdmissionChain([
    // NamespaceLifecycle is the engine's own check (routes/engine/namespace.ts), before any plugin.
    new LimitRanger(engineLimitRangeSource(engine)),
    // RBAC's escalation check (upstream runs it in the RBAC kinds' storage, before admission).
    ...(authorization.admission ? [authorization.admission] : []),
    ...(opts.serviceAccounts?.admission ? [new ServiceAccountAdmission(engineServiceAccountSource(engine))] : []),
    // NodeRestriction: only node identities' writes are looked at (one string check for everyone else).
    new NodeRestriction(engineNodeRestrictionSource(engine)),
    new PodSecurityAdmission(enginePodSecuritySource(engine), opts.admission?.podSecurity),
    new PriorityAdmission(enginePriorityClassSource(engine)),
    new DefaultStorageClass(engineStorageClassSource(engine)),
    ...(opts.admissionWebhooks !== false ? [new WebhookAdmission(engineWebhookSource(engine), authorization.authorizer)] : []),
    new ValidatingAdmissionPolicyAdmission(enginePolicySource(engine), authorization.authorizer),
    // Last, as upstream: only what every other plugin admitted is charged to quota.
    new ResourceQuotaAdmission(engineQuotaStore(engine)),
  ]);
  const watches = new WatchSet();
  const now = opts.engine?.now ?? (() => new Date());
  const metrics = opts.metrics === false
    ? undefined
    : startMetricsApi(engine, { ...opts.metrics, now, onError: opts.metrics?.onError ?? ((err, endpoint) => log?.warn({ err, endpoint }, 'metrics: scrape failed')) });
  // componentstatuses: upstream's three, probed on each request; the caller's probes for what it runs in process.
  const readLease = (ns: string, name: string) => engine.get(leases, ns, name).catch((err: unknown) => {
    if (err instanceof ApiError && err.code === 404) return null;
    throw err;
  });
  const componentProbes = [
    absentProbe('scheduler', 'no scheduler runs in this server process'),
    leaseProbe('controller-manager', 'kube-controller-manager', readLease, now),
    storageProbe(store),
  ].map((p) => opts.components?.find((c) => c.name === p.name) ?? p);
  const components = componentStatusSource(() => componentProbes);
  const routes = new ResourceRoutes({
    registry,
    engine,
    watches,
    watch: { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, maxBufferedBytes: 64 * 1024 * 1024 },
    now,
    computed: (r) => (r.group === '' && r.plural === 'componentstatuses' ? components : metrics?.source(r)),
  });

  const app: FastifyInstance = Fastify({
    // fastify logs every request at info: only hand it the logger when asked for debug or trace.
    ...(log && (log.level === 'debug' || log.level === 'trace') ? { loggerInstance: log as FastifyBaseLogger } : { logger: false }),
    bodyLimit: MAX_BODY_BYTES,
    // Resource names may be long; kubectl's field selectors and continue tokens make long URLs.
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: true },
    forceCloseConnections: true,
    ...(opts.https ? { https: { maxHeaderSize: opts.maxHeaderBytes ?? MAX_HEADER_BYTES, ...servingTlsOptions(), ...opts.https } } : { http: { maxHeaderSize: opts.maxHeaderBytes ?? MAX_HEADER_BYTES } }),
  }) as unknown as FastifyInstance;

  // Bodies are decoded by content.ts, which knows JSON, YAML and the patch types and answers in Statuses.
  app.removeAllContentTypeParsers();
  const rawBody = (_req: FastifyRequest, body: Buffer, done: (err: null, body: Buffer) => void) => done(null, body);
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, rawBody);
  // The same parser under the types clients send: fastify remembers a Content-Type header it found registered,
  // where the catch-all alone parses the header into a ContentType on every request.
  app.addContentTypeParser(BODY_MEDIA_TYPES, { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, rawBody);

  app.setErrorHandler((err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply) => {
    let api: ApiError;
    if (err instanceof ApiError) api = err;
    else {
      const code = (err as FastifyError).statusCode;
      const fcode = (err as FastifyError).code;
      if (code === 413 || fcode === 'FST_ERR_CTP_BODY_TOO_LARGE') api = tooLarge(MAX_BODY_BYTES);
      else if (code === 415) api = unsupportedMediaType(String(req.headers['content-type'] ?? ''), ['application/json', 'application/yaml']);
      else if (code !== undefined && code >= 400 && code < 500) api = badRequest(err.message);
      else {
        log?.error({ err, url: req.url, method: req.method }, 'request failed');
        api = internalError(err);
      }
    }
    if (reply.sent || reply.raw.headersSent) {
      reply.raw.destroy();
      return;
    }
    // As upstream's ErrorNegotiated: a Status asking the client to wait says so in Retry-After too (client-go
    // retries on the header, not on the body).
    const wait = api.details?.retryAfterSeconds;
    if (wait !== undefined && wait > 0) reply.header('Retry-After', String(wait));
    sendText(reply, api.code, 'application/json', JSON.stringify(api.toStatus()));
  });
  app.setNotFoundHandler((_req, reply) => {
    sendText(reply, 404, 'application/json', JSON.stringify(pathNotFound().toStatus()));
  });

  // Authentication runs on every request before its handler; the reviews answer who a caller or a token is.
  const baseAuthentication = opts.authentication ?? unsecuredChain();
  const saObjects = opts.serviceAccounts ? engineServiceAccountObjects(engine) : undefined;
  const authentication = opts.serviceAccounts && saObjects
    ? baseAuthentication.extendedWith([new BearerTokenAuthenticator([serviceAccountAuthenticator(opts.serviceAccounts, saObjects, now)])])
    : baseAuthentication;
  if (opts.serviceAccounts && saObjects) registerServiceAccountApi(app, opts.serviceAccounts, saObjects, now, engine);
  let audit: InstalledAudit | undefined;
  installAuthentication(app, authentication, {
    onRefused: (reason, req) => {
      log?.debug({ reason, url: req.url }, 'Unable to authenticate the request');
      audit?.failedAuthentication(req);
    },
  });
  registerAuthenticationApi(app, authentication, { now });
  // Audit right after authentication, as upstream's WithAudit: it knows the user, and sees every later refusal.
  if (opts.audit) audit = installAudit(app, opts.audit);
  if (opts.limits !== false) installLimits(app, opts.limits ?? {}, engine, (err) => log?.warn({ err }, 'flowcontrol configuration'));
  // Authorisation (impersonation, then the modes) after authentication; authorization.k8s.io's reviews.
  authorization.install(app, (message) => log?.debug({ message }, 'Forbidden'));

  const serverAddress = opts.serverAddress ?? '127.0.0.1:6443';
  const aggregator = opts.aggregator === false ? null : new Aggregator(engine, { onError: (err) => log?.warn({ err }, 'apiservice availability'), ...opts.aggregator });
  const apiHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const split = splitApiPath(req.url);
    if (!split) throw pathNotFound();
    if (aggregator && await aggregator.handle(req, reply, split.core, split.segs)) return reply;
    if (serveDiscovery(req, reply, registry.resources, split.core, [...split.segs], serverAddress)) return reply;
    const path = parseResourcePath(registry, split.core, [...split.segs]);
    if (!path) throw pathNotFound();
    await routes.handle(req, reply, path);
    return reply;
  };
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  for (const url of ['/api', '/api/*', '/apis', '/apis/*']) app.route({ method: [...methods], url, handler: apiHandler });
  // WebSocket/SPDY upgrades (pods/exec, attach, portforward) go through the same routing and hooks.
  routeUpgrades(app);

  let ready = false;
  registerSystemRoutes(app, () => registry.resources, () => ready);

  const lifecycle = new NamespaceLifecycle(engine, opts.namespaceSweepMs ?? 2000, (err) => log?.error({ err }, 'namespace lifecycle'));
  lifecycle.start();
  // CustomResourceDefinitions: established ones are served (added to the registry) before the server is ready.
  const crds = await startCustomResources(engine, registry, { now, onError: (err) => log?.error({ err }, 'customresourcedefinitions') });

  let compactTimer: NodeJS.Timeout | null = null;
  const compactEvery = opts.compactIntervalMs ?? 5 * 60_000;
  if (compactEvery > 0) {
    let previous = await opts.store.currentRevision();
    const compact = async () => {
      try {
        const target = previous;
        previous = await opts.store.currentRevision();
        if (target > 0) await opts.store.compact(target);
      } catch (err) {
        log?.warn({ err }, 'compaction failed');
      }
      compactTimer = setTimeout(() => void compact(), compactEvery).unref();
    };
    compactTimer = setTimeout(() => void compact(), compactEvery).unref();
  }

  const eventTtlMs = opts.eventTtlMs ?? DEFAULT_EVENT_TTL_MS;
  const eventExpiry = eventTtlMs > 0 ? new EventExpiry(opts.store, { ttlMs: eventTtlMs, onError: (err) => log?.warn({ err }, 'event expiry') }) : null;
  await eventExpiry?.start();

  // The policy's caches are in and the bootstrap roles reconciled before the first request is served.
  await authorization.ready();

  await app.ready();
  aggregator?.start();
  ready = true;

  let closing: Promise<void> | null = null;
  return {
    app,
    engine,
    registry,
    watches,
    close() {
      closing ??= (async () => {
        ready = false;
        if (compactTimer) clearTimeout(compactTimer);
        await eventExpiry?.stop();
        watches.closeAll();
        metrics?.close();
        await lifecycle.stop();
        authorization.stop();
        await crds?.stop();
        await aggregator?.stop();
        await app.close();
        await opts.audit?.sink.close();
        await engine.close();
      })();
      return closing;
    },
  };
}
