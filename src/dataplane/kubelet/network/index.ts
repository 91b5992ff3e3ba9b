/** The pod network of a real node: what the runc driver and the agent use. */
export { BridgePodNetwork, type BridgePodNetworkOptions } from './bridge-network.js';
export { CLUSTER_BRIDGE, connectNode, ensureClusterNetns, removeClusterNetns, type ClusterLink } from './cluster-link.js';
export { DEFAULT_PREFIX, BRIDGE_NAME, nodeNetnsName, podNetnsName, netnsPath } from './names.js';
export { applyRoutes, planRoutes, routesFor, ROUTE_PROTO, type NodeLike, type PeerRoute, type RouteSync } from './routes.js';
export type { NodeNetworkConfig, PodNetwork, PodNetworkRequest, PodSandboxNetwork } from './types.js';
