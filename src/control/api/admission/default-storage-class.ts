/**
 * The DefaultStorageClass admission plugin (upstream's plugin/pkg/admission/storage/storageclass/setdefault): a
 * PersistentVolumeClaim created without a class (no spec.storageClassName, no beta class annotation) gets the
 * default StorageClass's name. An explicit "" means "no class" and is left alone; with no default class the
 * claim is left alone; with several, the newest wins (ties by name), as upstream since 1.26.
 */
import type { KubeObject } from '../resource.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { EngineLike } from './webhooks.js';

const DEFAULT_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];
const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export interface StorageClassSource {
  storageClasses(): Promise<KubeObject[]>;
}

/** GetDefaultClass: the newest class marked default, or undefined. */
export function defaultStorageClass(classes: readonly KubeObject[]): KubeObject | undefined {
  const defaults = classes.filter((c) => DEFAULT_ANNOTATIONS.some((a) => c.metadata?.annotations?.[a] === 'true'));
  defaults.sort((a, b) => {
    const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
    return tb - ta || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  });
  return defaults[0];
}

/** The claim with its class filled in (in place), when it named none. */
export function admitClaimClass(claim: KubeObject, classes: readonly KubeObject[]): void {
  const spec = (claim['spec'] ?? {}) as Record<string, unknown>;
  if (spec['storageClassName'] !== undefined && spec['storageClassName'] !== null) return;
  if (claim.metadata?.annotations?.[BETA_CLASS_ANNOTATION] !== undefined) return;
  const def = defaultStorageClass(classes);
  if (!def?.metadata?.name) return;
  claim['spec'] = { ...spec, storageClassName: def.metadata.name };
}

export class DefaultStorageClass implements Admission {
  constructor(private readonly source: StorageClassSource) {}

  /** PersistentVolumeClaim creates only, and only to mutate. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    return phase === 'admit' && t.operation === 'CREATE' && t.resource.group === '' && t.resource.plural === 'persistentvolumeclaims' && t.subresource === '';
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    const r = a.resource;
    if (a.operation !== 'CREATE' || r.group !== '' || r.plural !== 'persistentvolumeclaims' || a.subresource !== '' || !a.object) return a.object;
    admitClaimClass(a.object, await this.source.storageClasses());
    return a.object;
  }

  async validate(): Promise<void> {}
}

/** The StorageClasses from the engine's watch cache (what upstream's plugin reads from its informer). */
export function engineStorageClassSource(engine: EngineLike): StorageClassSource {
  return {
    async storageClasses() {
      const r = engine.registry.lookup('storage.k8s.io', 'v1', 'storageclasses');
      if (!r) return [];
      const c = engine.cache(r);
      await c.waitFresh();
      return c.list().map((e) => e.object);
    },
  };
}
