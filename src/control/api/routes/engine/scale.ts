/** The scale subresource: an autoscaling/v1 Scale view of a kind's replicas, and writes back through it. */
import type { KubeObject, ResourceType } from '../../resource.js';
import { badRequest, invalid } from '../../status.js';
import { isPlainObject } from '../../content.js';
import { fromLabelSelectorObject, formatLabelSelector, type LabelSelectorObject } from '../../selectors/label.js';
import { guaranteedUpdate, type UpdateContext } from './guaranteed-update.js';
import { getPath, setPath } from './paths.js';
import { getObject, type ReadContext } from './read.js';
import type { WriteOptions } from './write-options.js';

/** autoscaling/v1 Scale of a kind with a scale mapping. */
export function toScale(r: ResourceType, obj: KubeObject): KubeObject {
  const m = r.scale!;
  const meta = obj.metadata!;
  const spec = getPath(obj, m.specReplicasPath);
  const status = getPath(obj, m.statusReplicasPath);
  const scale: KubeObject = {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name!, namespace: meta.namespace!, uid: meta.uid!, resourceVersion: meta.resourceVersion!,
      creationTimestamp: meta.creationTimestamp!,
    },
    spec: { replicas: typeof spec === 'number' ? spec : 0 },
    status: { replicas: typeof status === 'number' ? status : 0 } as Record<string, unknown>,
  };
  if (m.labelSelectorPath) {
    const sel = getPath(obj, m.labelSelectorPath);
    const text = typeof sel === 'string' ? sel : isPlainObject(sel) ? formatLabelSelector(fromLabelSelectorObject(sel as LabelSelectorObject)) : '';
    if (text) (scale['status'] as Record<string, unknown>)['selector'] = text;
  }
  return scale;
}

export async function getScale(ctx: ReadContext, r: ResourceType, ns: string | undefined, name: string): Promise<KubeObject> {
  return toScale(r, await getObject(ctx, r, ns, name));
}

/** Writes a Scale back: `mutate` turns the current Scale into the wanted one (PUT body or patched). */
export async function updateScale(
  ctx: UpdateContext, r: ResourceType, ns: string | undefined, name: string, mutate: (scale: KubeObject) => unknown,
  opts: WriteOptions,
): Promise<KubeObject> {
  const obj = await guaranteedUpdate(ctx, r, ns, name, scaleMutation(r, name, mutate), opts, '', 'scale');
  return toScale(r, obj);
}

/** The object's mutation for a Scale write: `mutate` turns the current Scale into the wanted one, checked here. */
export function scaleMutation(r: ResourceType, name: string, mutate: (scale: KubeObject) => unknown): (cur: KubeObject) => KubeObject {
  return (cur) => {
    const scale = mutate(toScale(r, cur));
    if (!isPlainObject(scale)) throw badRequest('the body of the request must be a Scale object');
    const s = scale as KubeObject;
    if ((s.kind !== undefined && s.kind !== 'Scale') || (s.apiVersion !== undefined && s.apiVersion !== 'autoscaling/v1')) {
      throw badRequest(`the kind in the data (${String(s.kind)}) does not match the expected kind (Scale)`);
    }
    const replicas = (s['spec'] as { replicas?: unknown } | undefined)?.replicas ?? 0;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid('autoscaling', 'Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    }
    if (s.metadata?.name !== undefined && s.metadata.name !== name) {
      throw badRequest(`the name of the object (${s.metadata.name}) does not match the name on the URL (${name})`);
    }
    setPath(cur as Record<string, unknown>, r.scale!.specReplicasPath, replicas);
    // The Scale's resourceVersion is the object's: a precondition when the client sent one.
    cur.metadata!.resourceVersion = s.metadata?.resourceVersion || cur.metadata!.resourceVersion;
    return cur;
  };
}
