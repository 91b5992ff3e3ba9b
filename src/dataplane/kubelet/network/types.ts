/**
 * The seam between a real node's pod driver and its pod network: a network namespace per pod with an address
 * from the node's podCIDR. The network knows nothing of the API; the driver passes what it needs.
 */

export interface NodeNetworkConfig {
  nodeName: string;
  /** spec.podCIDR of the node (node IPAM). */
  podCIDR: string;
  /** The node lives in its own netns `skiff-node-<name>` unless hostNetwork (then the host's own namespace). */
  hostNetwork: boolean;
}

export interface PodNetworkRequest {
  namespace: string;
  name: string;
  uid: string;
  /** spec.hostNetwork: the pod shares the node's namespace and IP. */
  hostNetwork: boolean;
}

export interface PodSandboxNetwork {
  /** Path a runtime spec's network namespace points at (e.g. /run/netns/<name>). */
  netnsPath: string;
  /** status.podIPs, the first is status.podIP. */
  ips: string[];
}

export interface PodNetwork {
  /** Set up the node's side (its namespace, bridge, routes); idempotent; resolves once pods can be set up. */
  start(cfg: NodeNetworkConfig): Promise<void>;
  /** A namespace for the pod with its address; idempotent per uid (returns the existing sandbox). */
  setUp(req: PodNetworkRequest): Promise<PodSandboxNetwork>;
  /** Remove the pod's namespace and release its address; idempotent. */
  tearDown(uid: string): Promise<void>;
  /** Sandboxes that exist now (after an agent restart), by pod uid. */
  list(): Promise<Map<string, PodSandboxNetwork>>;
  /** The node namespace path the node's own processes (kubelet API listener, probes) run in; undefined = host's. */
  nodeNetnsPath(): string | undefined;
  /** Remove the node's namespace and everything in it (also every pod sandbox). */
  destroy(): Promise<void>;
}
