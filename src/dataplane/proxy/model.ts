/**
 * The proxy's view of the cluster, flattened from Services and EndpointSlices (model-builder.ts): one entry per
 * service port. Every rule compiler (iptables in WASM and its TypeScript reference, IPVS, nftables) takes this
 * model and nothing else; none of them sees a Kubernetes object.
 */

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface EndpointInfo {
  ip: string;
  port: number;
  /** EndpointSlice conditions: ready, serving, terminating. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** The endpoint runs on this proxy's node (for Local traffic policies). */
  isLocal: boolean;
}

export interface ServicePortInfo {
  namespace: string;
  name: string;
  /** The port's name ('' when the Service has a single unnamed port). */
  portName: string;
  protocol: Protocol;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  clusterIP: string;
  port: number;
  /** 0 when none. */
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  loadBalancerSourceRanges: string[];
  /** ClientIP affinity timeout in seconds; 0 = no session affinity. */
  affinityTimeoutSeconds: number;
  externalTrafficLocal: boolean;
  internalTrafficLocal: boolean;
  /** healthCheckNodePort for LoadBalancer + Local services; 0 when none. */
  healthCheckNodePort: number;
  endpoints: EndpointInfo[];
}

export interface ProxyConfig {
  /** Pods' CIDR for the masquerade rule (`! -s clusterCIDR -d clusterIP`); '' = masquerade all. */
  clusterCIDR: string;
  /** This node's addresses, for NodePorts. */
  nodeIPs: string[];
  masqueradeBit: number;
}

/** kube-proxy's servicePortName string: "namespace/name:port" (":port" omitted when the port is unnamed). */
export function servicePortName(sp: Pick<ServicePortInfo, 'namespace' | 'name' | 'portName'>): string {
  return sp.portName ? `${sp.namespace}/${sp.name}:${sp.portName}` : `${sp.namespace}/${sp.name}`;
}
