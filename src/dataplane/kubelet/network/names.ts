/**
 * Names of what the pod network creates, all derived from stable inputs (node name, pod uid) so that a
 * restarted agent finds its namespaces and links again without any other record.
 *
 *   node namespace   <prefix>node-<nodeName>        (skiff-node-n1; tests: skiff-t-<run>-node-n1)
 *   pod namespace    <prefix>pod-<uid>
 *   node bridge      skiff0                          (in the node namespace, the pods' gateway)
 *   pod's host veth  veth<8 hex of sha256(uid)>      (on the bridge; eth0 inside the pod namespace)
 *
 * Namespace names stay within 64 characters of [A-Za-z0-9_.-] (what the proxy's `ip netns exec` accepts);
 * a longer node name is cut and suffixed with a hash. Interface names stay within IFNAMSIZ-1 = 15.
 */
import { createHash } from 'node:crypto';

export const DEFAULT_PREFIX = 'skiff-';
export const BRIDGE_NAME = 'skiff0';
/** Where `ip netns add` binds namespaces (iproute2's NETNS_RUN_DIR). */
export const NETNS_RUN_DIR = '/run/netns';

const MAX_NETNS_NAME = 64;
const MAX_IFNAME = 15;
const PREFIX_RE = /^[A-Za-z0-9_.-]{1,40}$/;
const NAME_RE = /^[A-Za-z0-9_.-]+$/;

function hash8(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX_RE.test(prefix)) throw new Error(`pod network: prefix ${JSON.stringify(prefix)} must be 1-40 characters of [A-Za-z0-9_.-]`);
  return prefix;
}

/** `<head><id>`, or when too long or holding other characters, `<head><id cut>-<hash>` within 64. */
function fitted(head: string, id: string): string {
  const whole = head + id;
  if (whole.length <= MAX_NETNS_NAME && NAME_RE.test(id)) return whole;
  const safe = id.replace(/[^A-Za-z0-9_.-]/g, '-');
  const room = MAX_NETNS_NAME - head.length - 9;
  return `${head}${safe.slice(0, Math.max(0, room))}-${hash8(id)}`;
}

export function nodeNetnsName(nodeName: string, prefix = DEFAULT_PREFIX): string {
  if (!nodeName) throw new Error('pod network: nodeName must not be empty');
  return fitted(`${checkPrefix(prefix)}node-`, nodeName);
}

export function podNetnsName(uid: string, prefix = DEFAULT_PREFIX): string {
  if (!uid) throw new Error('pod network: uid must not be empty');
  return fitted(`${checkPrefix(prefix)}pod-`, uid);
}

/** The pod veth's end on the node bridge, as the CNI bridge plugin names them (veth + 8 hex). */
export function hostVethName(uid: string): string {
  return `veth${hash8(uid)}`;
}

/** The node link's end in the shared cluster namespace, one per node namespace. */
export function clusterPortName(nodeNetns: string): string {
  const name = `sk${hash8(nodeNetns)}`;
  if (name.length > MAX_IFNAME) throw new Error(`interface name ${name} too long`);
  return name;
}

export function netnsPath(name: string): string {
  return `${NETNS_RUN_DIR}/${name}`;
}
