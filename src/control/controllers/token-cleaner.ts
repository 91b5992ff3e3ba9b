/**
 * The token cleaner (upstream's tokencleaner, which kubeadm turns on): bootstrap token Secrets in kube-system
 * (type bootstrap.kubernetes.io/token) are deleted once their `expiration` has passed, and looked at again at
 * that moment when it is still ahead. Keys are `kube-system/<name>`.
 */
import { isNotFound } from '../../client/rest.js';
import { Secrets } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import { BOOTSTRAP_TOKEN_NAMESPACE, BOOTSTRAP_TOKEN_SECRET_TYPE } from '../api/auth/bootstrap-token.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export type CleanerDecision = { op: 'none' } | { op: 'delete' } | { op: 'recheck'; afterMs: number };

/** What to do with one Secret at `now` (upstream: an expiration that does not parse counts as expired). */
export function tokenCleanerDecision(secret: Secret, now: number): CleanerDecision {
  if (secret.type !== BOOTSTRAP_TOKEN_SECRET_TYPE || secret.metadata?.deletionTimestamp) return { op: 'none' };
  const raw = secret.data?.['expiration'];
  if (raw === undefined) return { op: 'none' };
  const at = Date.parse(Buffer.from(raw, 'base64').toString('utf8'));
  if (Number.isNaN(at) || at <= now) return { op: 'delete' };
  return { op: 'recheck', afterMs: at - now };
}

export function newTokenCleaner(ctx: ControllerContext): Controller {
  const name = 'token_cleaner';
  const queue = ctx.queue(name);
  const informer = ctx.informers.forResource<Secret>(Secrets, { namespace: BOOTSTRAP_TOKEN_NAMESPACE });
  const enqueue = (s: Secret): void => {
    if (s.type === BOOTSTRAP_TOKEN_SECRET_TYPE) queue.add(`${BOOTSTRAP_TOKEN_NAMESPACE}/${s.metadata?.name ?? ''}`);
  };
  informer.addEventHandler({ onAdd: enqueue, onUpdate: (_old, s) => enqueue(s) });

  const sync = async (key: string): Promise<void> => {
    const secretName = key.slice(key.indexOf('/') + 1);
    const secret = informer.lister.get(BOOTSTRAP_TOKEN_NAMESPACE, secretName);
    if (!secret) return;
    const d = tokenCleanerDecision(secret, ctx.clock.now());
    if (d.op === 'recheck') queue.addAfter(key, d.afterMs);
    if (d.op !== 'delete') return;
    try {
      // Only the Secret that was read: a new one made under the same name in between stays.
      await ctx.client.delete(Secrets, BOOTSTRAP_TOKEN_NAMESPACE, secretName, { preconditions: { uid: secret.metadata?.uid ?? '' } });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };

  return { name, run: (signal) => runWorkers(ctx, name, queue, [informer], sync, signal, 1) };
}

export const tokenCleanerController: ControllerDescriptor = {
  name: 'tokencleaner',
  // Off in kube-controller-manager's `*`, as upstream; kubeadm (and skiff server) name it.
  enabledByDefault: false,
  create: (ctx) => newTokenCleaner(ctx),
};
