/**
 * The ServiceAccount controller (upstream's serviceaccounts-controller): every active namespace has the
 * ServiceAccounts it should (`default`), recreated when deleted. Keys are namespace names.
 */
import { ApiError } from '../../client/rest.js';
import { Namespaces, ServiceAccounts } from '../../client/resources.js';
import type { Lister } from '../../client/store.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { isNamespaceTerminating } from './shared/pod-control.js';

const isAlreadyExists = (err: unknown): boolean => err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists';

/** Upstream's DefaultServiceAccountsControllerOptions: one ServiceAccount named `default`. */
export const SERVICE_ACCOUNTS_TO_ENSURE = ['default'];

interface Namespace extends KubeObject {
  status?: { phase?: string };
}

/** The ServiceAccounts to create in `ns` now: none unless it is Active (a terminating namespace refuses creates). */
export function missingServiceAccounts(ns: Namespace | undefined, exists: (name: string) => boolean, wanted = SERVICE_ACCOUNTS_TO_ENSURE): string[] {
  if (!ns || ns.status?.phase !== 'Active') return [];
  return wanted.filter((name) => !exists(name));
}

export function newServiceAccountController(ctx: ControllerContext, wanted = SERVICE_ACCOUNTS_TO_ENSURE): Controller {
  const name = 'serviceaccount';
  const queue = ctx.queue(name);
  const nsInformer = ctx.informers.forResource<Namespace>(Namespaces);
  const saInformer = ctx.informers.forResource(ServiceAccounts);
  const nsLister: Lister<Namespace> = nsInformer.lister;
  const saLister: Lister<KubeObject> = saInformer.lister;

  nsInformer.addEventHandler({
    onAdd: (ns) => queue.add(ns.metadata?.name ?? ''),
    onUpdate: (_old, ns) => queue.add(ns.metadata?.name ?? ''),
  });
  saInformer.addEventHandler({
    onDelete: (sa) => {
      if (sa.metadata?.namespace && wanted.includes(sa.metadata.name ?? '')) queue.add(sa.metadata.namespace);
    },
  });

  const sync = async (nsName: string): Promise<void> => {
    const ns = nsLister.get(undefined, nsName);
    const missing = missingServiceAccounts(ns, (sa) => saLister.get(nsName, sa) !== undefined, wanted);
    const failures: unknown[] = [];
    for (const sa of missing) {
      try {
        await ctx.client.create(ServiceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: nsName } });
      } catch (err) {
        // Someone made it first, or the namespace started terminating: both are fine.
        if (!isAlreadyExists(err) && !isNamespaceTerminating(err)) failures.push(err);
      }
    }
    if (failures.length) throw failures[0];
  };

  return {
    name,
    run: (signal) => runWorkers(ctx, name, queue, [nsInformer, saInformer], sync, signal),
  };
}

export const serviceAccountController: ControllerDescriptor = {
  name: 'serviceaccount',
  enabledByDefault: true,
  create: (ctx) => newServiceAccountController(ctx),
};
