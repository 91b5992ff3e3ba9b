/**
 * Where a pod's volumes and kubelet-managed files live under its pod directory, as the kubelet lays them out
 * (`pods/<uid>/volumes/<escaped plugin name>/<volume>`, `pods/<uid>/etc-hosts`,
 * `pods/<uid>/containers/<container>/<id>` for termination logs). resolv.conf and hostname are the runtime's
 * sandbox files upstream; here they sit beside etc-hosts.
 */
import path from 'node:path';

export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

export type PluginKind = keyof typeof PLUGIN_DIRS;

export function volumesDir(podDir: string): string {
  return path.join(podDir, 'volumes');
}

export function volumeDir(podDir: string, kind: PluginKind, name: string): string {
  return path.join(podDir, 'volumes', PLUGIN_DIRS[kind], name);
}

export function etcHostsPath(podDir: string): string {
  return path.join(podDir, 'etc-hosts');
}

export function resolvConfPath(podDir: string): string {
  return path.join(podDir, 'resolv.conf');
}

export function hostnamePath(podDir: string): string {
  return path.join(podDir, 'hostname');
}

export function containersDir(podDir: string): string {
  return path.join(podDir, 'containers');
}

export function containerDir(podDir: string, container: string): string {
  return path.join(podDir, 'containers', container);
}
