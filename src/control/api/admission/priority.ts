/**
 * The Priority admission plugin (upstream's plugin/pkg/admission/priority): a Pod created without a
 * priorityClassName gets the global default class (or priority 0 and PreemptLowerPriority when there is none);
 * one naming a class gets its value and preemption policy, and one naming no existing class is refused. A
 * priority or policy the pod states itself must agree with its class. On update the values set at create stay.
 * Only one PriorityClass may be the global default.
 */
import type { KubeObject } from '../resource.js';
import { forbidden } from '../status.js';
import type { Admission, AdmissionAttributes, AdmissionTarget } from './types.js';
import type { EngineLike } from './webhooks.js';

export interface PriorityClassSource {
  priorityClasses(): Promise<KubeObject[]>;
}

type Obj = Record<string, unknown>;
const specOf = (o: KubeObject): Obj => ((o['spec'] ?? (o['spec'] = {})) as Obj);
const valueOf = (pc: KubeObject): number => (typeof pc['value'] === 'number' ? pc['value'] : 0);

/** upstream's getDefaultPriorityClass: the global default, the lowest-valued one should a race leave several. */
export function defaultPriorityClass(classes: readonly KubeObject[]): KubeObject | undefined {
  let found: KubeObject | undefined;
  for (const pc of classes) if (pc['globalDefault'] === true && (!found || valueOf(found) > valueOf(pc))) found = pc;
  return found;
}

/** Resolves a new pod's priority in place; returns why it is refused, or undefined. */
export function admitPodPriority(pod: KubeObject, classes: readonly KubeObject[]): string | undefined {
  const spec = specOf(pod);
  let priority: number;
  let policy: unknown;
  const name = typeof spec['priorityClassName'] === 'string' ? spec['priorityClassName'] : '';
  if (name === '') {
    const def = defaultPriorityClass(classes);
    if (def) {
      spec['priorityClassName'] = def.metadata?.name;
      priority = valueOf(def);
      policy = def['preemptionPolicy'];
    } else {
      priority = 0;
      policy = 'PreemptLowerPriority';
    }
  } else {
    const pc = classes.find((c) => c.metadata?.name === name);
    if (!pc) return `no PriorityClass with name ${name} was found`;
    priority = valueOf(pc);
    policy = pc['preemptionPolicy'];
  }
  if (typeof spec['priority'] === 'number' && spec['priority'] !== priority) {
    return `the integer value of priority (${spec['priority']}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`;
  }
  spec['priority'] = priority;
  if (typeof policy === 'string') {
    if (typeof spec['preemptionPolicy'] === 'string' && spec['preemptionPolicy'] !== policy) {
      return `the string value of PreemptionPolicy (${spec['preemptionPolicy']}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`;
    }
    spec['preemptionPolicy'] = policy;
  }
  return undefined;
}

const isPods = (a: AdmissionTarget) => a.resource.group === '' && a.resource.plural === 'pods' && a.subresource === '';
const isClasses = (a: AdmissionTarget) => a.resource.group === 'scheduling.k8s.io' && a.resource.plural === 'priorityclasses' && a.subresource === '';

export class PriorityAdmission implements Admission {
  constructor(private readonly source: PriorityClassSource) {}

  /** Mutates pod creates and updates; validates PriorityClass creates and updates. */
  handles(phase: 'admit' | 'validate', t: AdmissionTarget): boolean {
    if (phase === 'admit') return isPods(t) && (t.operation === 'CREATE' || t.operation === 'UPDATE');
    return isClasses(t) && (t.operation === 'CREATE' || t.operation === 'UPDATE');
  }

  async admit(a: AdmissionAttributes): Promise<KubeObject | null> {
    if (!isPods(a) || !a.object) return a.object;
    if (a.operation === 'UPDATE' && a.oldObject) {
      // Set at create; validation refuses any change, so only fill what an update left out.
      const spec = specOf(a.object);
      const old = (a.oldObject['spec'] ?? {}) as Obj;
      if (spec['priority'] === undefined && old['priority'] !== undefined) spec['priority'] = old['priority'];
      if (spec['preemptionPolicy'] === undefined && old['preemptionPolicy'] !== undefined) spec['preemptionPolicy'] = old['preemptionPolicy'];
      return a.object;
    }
    if (a.operation !== 'CREATE') return a.object;
    const why = admitPodPriority(a.object, await this.source.priorityClasses());
    if (why) throw forbidden({ group: '', resource: 'pods' }, a.name, why);
    return a.object;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!isClasses(a) || !a.object || a.object['globalDefault'] !== true) return;
    if (a.operation !== 'CREATE' && a.operation !== 'UPDATE') return;
    const def = defaultPriorityClass(await this.source.priorityClasses());
    if (def && (a.operation === 'CREATE' || def.metadata?.name !== a.object.metadata?.name)) {
      throw forbidden({ group: 'scheduling.k8s.io', resource: 'priorityclasses' }, a.name,
        `PriorityClass ${def.metadata?.name ?? ''} is already marked as default. Only one default can exist`);
    }
  }
}

/** The PriorityClasses from the engine's watch cache (what upstream's plugin reads from its informer). */
export function enginePriorityClassSource(engine: EngineLike): PriorityClassSource {
  return {
    async priorityClasses() {
      const r = engine.registry.lookup('scheduling.k8s.io', 'v1', 'priorityclasses');
      if (!r) return [];
      const c = engine.cache(r);
      await c.waitFresh();
      return c.list().map((e) => e.object);
    },
  };
}
