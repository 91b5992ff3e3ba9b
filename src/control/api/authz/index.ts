/**
 * A server's authorisation, as kube-apiserver's --authorization-mode: the modes in order ('Node', 'RBAC', or an
 * Authorizer of the caller's), behind upstream's system:masters shortcut. RBAC reads its roles and bindings from
 * the engine's watch caches, gets the bootstrap policy reconciled at start, and brings the escalation check for
 * the RBAC kinds; Node follows pods and volumes in a graph. Without modes every request is allowed.
 */
import type { FastifyInstance } from 'fastify';
import type { Admission } from '../admission/types.js';
import { AuthorizerChain, alwaysAllow, privilegedGroups } from './chain.js';
import { EscalationCheck } from './escalation.js';
import { engineNodeAuthorizer, type GraphFeedEngine } from './node-graph-feed.js';
import { startEnginePolicy, type PolicyEngine } from './policy-source.js';
import { RbacAuthorizer, RbacPolicy } from './rbac.js';
import { reconcileBootstrapPolicy, type ReconcileEngine, type ReconcileResult } from './reconcile.js';
import { installAuthorization } from './request.js';
import { registerAuthorizationApi } from './reviews.js';
import type { Authorizer, RuleResolver } from './types.js';

export type AuthorizationMode = 'Node' | 'RBAC';
export type AuthorizationModes = readonly (AuthorizationMode | Authorizer)[];

export interface AuthorizationConfig {
  /** In order, as --authorization-mode ('Node', 'RBAC', or an Authorizer of the caller's). */
  modes: AuthorizationModes;
  /** Paths anonymous requests may reach; elsewhere they are 401 (see request.ts). Absent: no such limit. */
  anonymousPaths?: readonly string[];
}

/** What `skiff server` lets anonymous requests reach: upstream's public-info-viewer paths. */
export const PUBLIC_INFO_PATHS: readonly string[] = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

export { authorizationResources } from './kinds.js';
export type { Authorizer, AuthorizationAttributes, AuthorizationResult, RuleResolver } from './types.js';

export interface Authorization {
  authorizer: Authorizer & RuleResolver;
  /** The RBAC escalation check, for the admission chain (absent without RBAC). */
  admission?: Admission;
  /** Resolves once every mode's caches are in and the bootstrap policy is reconciled. */
  ready(): Promise<ReconcileResult | undefined>;
  /** The hook on every request and the authorization.k8s.io reviews. */
  install(app: FastifyInstance, onRefused?: (message: string) => void): void;
  stop(): void;
}

type Engine = PolicyEngine & GraphFeedEngine & ReconcileEngine;

/** Parses kube-apiserver's --authorization-mode value ("Node,RBAC"); AlwaysAllow gives no modes. */
export function parseAuthorizationModes(value: string): AuthorizationMode[] {
  const out: AuthorizationMode[] = [];
  for (const m of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (m === 'AlwaysAllow') continue;
    if (m !== 'Node' && m !== 'RBAC') throw new Error(`authorization-mode: unknown mode "${m}" (Node, RBAC, AlwaysAllow)`);
    out.push(m);
  }
  return out;
}

export function setupAuthorization(engine: Engine, config: AuthorizationConfig | undefined, onError: (err: unknown) => void = () => {}): Authorization {
  const modes = config?.modes;
  if (!modes || modes.length === 0) {
    return {
      authorizer: alwaysAllow,
      ready: async () => undefined,
      install: (app) => registerAuthorizationApi(app, alwaysAllow, alwaysAllow),
      stop: () => {},
    };
  }
  const members: Authorizer[] = [privilegedGroups];
  const stops: (() => void)[] = [];
  const waits: Promise<unknown>[] = [];
  let rbac: { policy: RbacPolicy; source: ReturnType<typeof startEnginePolicy> } | undefined;
  for (const m of modes) {
    if (m === 'RBAC') {
      const policy = new RbacPolicy();
      const source = startEnginePolicy(engine, policy, onError);
      rbac = { policy, source };
      members.push(new RbacAuthorizer(policy));
      stops.push(() => source.stop());
      waits.push(source.ready);
    } else if (m === 'Node') {
      const node = engineNodeAuthorizer(engine, onError);
      members.push(node.authorizer);
      stops.push(() => node.stop());
      waits.push(node.synced);
    } else members.push(m);
  }
  const chain = new AuthorizerChain(members);
  const source = rbac?.source;
  return {
    authorizer: chain,
    ...(rbac ? { admission: new EscalationCheck(rbac.policy, chain) } : {}),
    async ready() {
      await Promise.all(waits);
      return rbac ? reconcileBootstrapPolicy(engine) : undefined;
    },
    install(app, onRefused) {
      installAuthorization(app, chain, {
        ...(config?.anonymousPaths ? { anonymousPaths: config.anonymousPaths } : {}),
        ...(source ? { fresh: () => source.fresh(), waitFresh: () => source.waitFresh() } : {}),
        ...(onRefused ? { onRefused: (msg) => onRefused(msg) } : {}),
      });
      registerAuthorizationApi(app, chain, chain);
    },
    stop() {
      for (const s of stops) s();
    },
  };
}
