/**
 * The root CA publisher (upstream's root-ca-cert-publisher): ConfigMap `kube-root-ca.crt` in every namespace,
 * holding the cluster CA bundle under `ca.crt`, so pods can verify the API server; restored when edited or
 * deleted. Keys are namespace names.
 */
import { ApiError, isNotFound } from '../../client/rest.js';
import { ConfigMaps, Namespaces } from '../../client/resources.js';
import type { KubeObject } from '../../client/types.js';
import type { ControllerContext } from './context.js';
import { runWorkers, type Controller, type ControllerDescriptor } from './controller.js';
import { isNamespaceTerminating } from './shared/pod-control.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the ' +
  'internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export type PublishAction = { op: 'none' } | { op: 'create'; configMap: ConfigMap } | { op: 'update'; configMap: ConfigMap };

/**
 * What to write in a namespace given its current ConfigMap, as upstream's syncNamespace: create it when absent;
 * otherwise put back exactly `{ca.crt}` as data and the description when that annotation is empty.
 */
export function publishAction(namespace: string, current: ConfigMap | undefined, rootCA: string): PublishAction {
  const data = { 'ca.crt': rootCA };
  if (!current) {
    return {
      op: 'create',
      configMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data },
    };
  }
  const keys = Object.keys(current.data ?? {});
  const dataOk = keys.length === 1 && current.data?.['ca.crt'] === rootCA;
  if (dataOk && (current.metadata?.annotations?.[DESCRIPTION_ANNOTATION] ?? '') !== '') return { op: 'none' };
  // A fresh copy: the cached object must not change under the informer.
  const metadata = { ...current.metadata, annotations: { ...current.metadata?.annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION } };
  return { op: 'update', configMap: { ...current, metadata, data } };
}

export function newRootCAPublisher(ctx: ControllerContext): Controller {
  const name = 'root_ca_cert_publisher';
  const rootCA = ctx.options.rootCA;
  const queue = ctx.queue(name);
  const nsInformer = ctx.informers.forResource<KubeObject & { status?: { phase?: string } }>(Namespaces);
  const cmInformer = ctx.informers.forResource<ConfigMap>(ConfigMaps);
  const enqueueCM = (cm: ConfigMap): void => {
    if (cm.metadata?.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) queue.add(cm.metadata.namespace);
  };
  nsInformer.addEventHandler({
    onAdd: (ns) => queue.add(ns.metadata?.name ?? ''),
    // Upstream re-syncs a namespace on update only while it is Active.
    onUpdate: (_old, ns) => {
      if (ns.status?.phase === 'Active') queue.add(ns.metadata?.name ?? '');
    },
  });
  cmInformer.addEventHandler({ onUpdate: (_old, cm) => enqueueCM(cm), onDelete: enqueueCM });

  const sync = async (ns: string): Promise<void> => {
    if (rootCA === undefined) return;
    const action = publishAction(ns, cmInformer.lister.get(ns, ROOT_CA_CONFIGMAP), rootCA);
    if (action.op === 'none') return;
    if (action.op === 'update') {
      await ctx.client.update(ConfigMaps, action.configMap);
      return;
    }
    try {
      await ctx.client.create(ConfigMaps, action.configMap);
    } catch (err) {
      // No retry when the namespace is gone or terminating; a create that lost a race is settled by its event.
      if (isNotFound(err) || isNamespaceTerminating(err)) return;
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      throw err;
    }
  };

  return {
    name,
    async run(signal) {
      if (rootCA === undefined) {
        ctx.onError(new Error('no cluster CA (options.rootCA): kube-root-ca.crt is not published'), name);
        return;
      }
      await runWorkers(ctx, name, queue, [nsInformer, cmInformer], sync, signal);
    },
  };
}

export const rootCACertPublisherController: ControllerDescriptor = {
  name: 'root-ca-cert-publisher',
  enabledByDefault: true,
  create: (ctx) => newRootCAPublisher(ctx),
};
