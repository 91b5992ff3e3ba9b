import type { ResourceType } from '../../resource.js';

/** `group/Kind`: how the engine picks out the kinds with rules of their own (Pod, Service, Namespace…). */
export const gk = (r: ResourceType): string => `${r.group}/${r.kind}`;
/** The group and resource that Status errors name. */
export const gr = (r: ResourceType) => ({ group: r.group, resource: r.plural });
