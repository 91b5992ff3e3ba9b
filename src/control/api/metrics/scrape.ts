/**
 * Reaching node agents for usage: a node's agent endpoint (its address and kubelet port, as metrics-server
 * finds the kubelet), and one HTTP GET of `/skiff/v1/usage` with its answer checked field by field.
 */
import type { KubeObject } from '../resource.js';
import { reachableWithoutDefaultRoute } from '../reachability.js';
import type { ContainerUsage, NodeUsage, PodUsage } from '../../../dataplane/kubelet/types.js';
import { USAGE_PATH } from '../../../dataplane/kubelet/usage-endpoint.js';
import { hostPort } from '../../../net/host-port.js';

/** Address types tried in order (metrics-server's --kubelet-preferred-address-types, IPs only). */
const ADDRESS_TYPES = ['InternalIP', 'ExternalIP'];

interface NodeStatus {
  addresses?: Array<{ type?: string; address?: string }>;
  daemonEndpoints?: { kubeletEndpoint?: { Port?: number } };
}

/**
 * `http://<address>:<kubelet port>` of a node, or undefined when its status names no address or port yet, or
 * only addresses the server reaches through its default route (a simulated node's made-up InternalIP from a
 * spec's nodeCIDR exists nowhere: reachability.ts).
 */
export function agentEndpoint(node: KubeObject, reachable: (ip: string) => boolean = reachableWithoutDefaultRoute): string | undefined {
  const status = node['status'] as NodeStatus | undefined;
  const port = status?.daemonEndpoints?.kubeletEndpoint?.Port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  for (const type of ADDRESS_TYPES) {
    const address = status?.addresses?.find((a) => a.type === type && typeof a.address === 'string' && a.address && reachable(a.address))?.address;
    if (address) return `http://${hostPort(address, port)}`;
  }
  return undefined;
}

/** Fetches every node's usage from one agent. */
export type UsageFetcher = (endpoint: string, signal: AbortSignal) => Promise<NodeUsage[]>;

export const fetchUsage: UsageFetcher = async (endpoint, signal) => {
  const res = await fetch(`${endpoint}${USAGE_PATH}`, { signal, headers: { accept: 'application/json' } });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${endpoint}${USAGE_PATH}: HTTP ${res.status}`);
  }
  return parseUsageResponse(await res.json());
};

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function check(ok: boolean, field: string): void {
  if (!ok) throw new Error(`usage response: ${field} is missing or invalid`);
}

function containerUsage(v: unknown, field: string): ContainerUsage {
  check(isObj(v), field);
  const c = v as Record<string, unknown>;
  check(typeof c['name'] === 'string' && c['name'] !== '', `${field}.name`);
  check(isCount(c['cpuNanoCores']), `${field}.cpuNanoCores`);
  check(isCount(c['memoryBytes']), `${field}.memoryBytes`);
  return { name: c['name'] as string, cpuNanoCores: c['cpuNanoCores'] as number, memoryBytes: c['memoryBytes'] as number };
}

function podUsage(v: unknown, field: string): PodUsage {
  check(isObj(v), field);
  const p = v as Record<string, unknown>;
  for (const k of ['namespace', 'name', 'uid']) check(typeof p[k] === 'string', `${field}.${k}`);
  check(Array.isArray(p['containers']), `${field}.containers`);
  return {
    namespace: p['namespace'] as string,
    name: p['name'] as string,
    uid: p['uid'] as string,
    containers: (p['containers'] as unknown[]).map((c, i) => containerUsage(c, `${field}.containers[${i}]`)),
  };
}

/** The agent's `{"nodes": NodeUsage[]}`, checked; an error names the first bad field. */
export function parseUsageResponse(body: unknown): NodeUsage[] {
  check(isObj(body) && Array.isArray(body['nodes']), 'nodes');
  return ((body as { nodes: unknown[] }).nodes).map((v, i) => {
    const field = `nodes[${i}]`;
    check(isObj(v), field);
    const n = v as Record<string, unknown>;
    check(typeof n['nodeName'] === 'string' && n['nodeName'] !== '', `${field}.nodeName`);
    check(isCount(n['timestamp']), `${field}.timestamp`);
    check(isCount(n['windowSeconds']), `${field}.windowSeconds`);
    check(isCount(n['cpuNanoCores']), `${field}.cpuNanoCores`);
    check(isCount(n['memoryBytes']), `${field}.memoryBytes`);
    check(Array.isArray(n['pods']), `${field}.pods`);
    return {
      nodeName: n['nodeName'] as string,
      timestamp: n['timestamp'] as number,
      windowSeconds: n['windowSeconds'] as number,
      cpuNanoCores: n['cpuNanoCores'] as number,
      memoryBytes: n['memoryBytes'] as number,
      pods: (n['pods'] as unknown[]).map((p, j) => podUsage(p, `${field}.pods[${j}]`)),
    };
  });
}
