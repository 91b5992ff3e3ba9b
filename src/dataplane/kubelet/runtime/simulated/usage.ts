/**
 * What a simulated pod's containers use (for metrics.k8s.io): the pod's sim.skiff.dev/cpu-usage and
 * sim.skiff.dev/memory-usage annotations (quantities for the whole pod) split evenly over its regular
 * containers, or else a share of each container's requests.
 */
import type { Pod, ContainerUsage } from '../../types.js';
import { annotationsOf, containersOf } from '../../pod/podspec.js';
import { quantityScaled } from '../../pod/quantity.js';

export const CPU_USAGE_ANNOTATION = 'sim.skiff.dev/cpu-usage';
export const MEMORY_USAGE_ANNOTATION = 'sim.skiff.dev/memory-usage';

/** Without annotations a container uses this share of its requests... */
export const DEFAULT_REQUEST_SHARE = 0.5;
/** ...or, with no request, this much (1m CPU, 16 MiB). */
export const DEFAULT_CPU_NANO = 1_000_000;
export const DEFAULT_MEMORY_BYTES = 16 * 1024 * 1024;

export function podContainerUsage(pod: Pod): ContainerUsage[] {
  const containers = containersOf(pod);
  if (containers.length === 0) return [];
  const ann = annotationsOf(pod);
  const podCpu = quantityScaled(ann[CPU_USAGE_ANNOTATION], 9); // nanocores
  const podMem = quantityScaled(ann[MEMORY_USAGE_ANNOTATION], 0);
  const n = containers.length;
  return containers.map((c) => {
    const req = c.resources?.requests;
    let cpu: number;
    if (podCpu !== null && podCpu >= 0) cpu = Math.floor(podCpu / n);
    else {
      const r = quantityScaled(req?.cpu, 9);
      cpu = r !== null && r > 0 ? Math.floor(r * DEFAULT_REQUEST_SHARE) : DEFAULT_CPU_NANO;
    }
    let mem: number;
    if (podMem !== null && podMem >= 0) mem = Math.floor(podMem / n);
    else {
      const r = quantityScaled(req?.memory, 0);
      mem = r !== null && r > 0 ? Math.floor(r * DEFAULT_REQUEST_SHARE) : DEFAULT_MEMORY_BYTES;
    }
    return { name: c.name, cpuNanoCores: cpu, memoryBytes: mem };
  });
}
