/**
 * The nodes `skiff server --nodes N [--node-spec FILE]` runs in-process. One node (the default) is named after
 * this host, as a kubelet names its Node; more are <namePrefix><i>. Their InternalIP is the agent's loopback
 * address, so the API server on this machine reaches the agent's port for every node.
 */
import { hostname } from 'node:os';
import { DEFAULT_NODE_SPEC, loadNodeSpecFile, parseNodeSpec, type NodeSpec } from './spec.js';

/** This host's name as a valid Node name (lowercase RFC 1123 subdomain). */
export function hostNodeName(host = hostname()): string {
  const name = host
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .replace(/\.{2,}/g, '.')
    .slice(0, 253);
  return name || 'skiff-node';
}

/**
 * In-process nodes post their pods' container Events (Pulling … Started, Killing, BackOff) unless told not to:
 * a one-machine cluster is where `kubectl describe pod` is read, and its few nodes cost the API server little.
 */
export const LOCAL_POD_EVENTS_DEFAULT = true;

export function localNodeSpec(count: number, specFile?: string, host = hostname()): NodeSpec {
  const base: NodeSpec = { ...DEFAULT_NODE_SPEC };
  const spec = specFile ? loadNodeSpecFile(specFile, base) : base;
  const keepNames = spec.names && spec.names.length === count;
  const names = keepNames ? spec.names : count === 1 ? [hostNodeName(host)] : undefined;
  return parseNodeSpec({ count, ...(names ? { names } : {}) }, '--nodes', { ...spec, names: undefined });
}
