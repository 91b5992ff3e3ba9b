/**
 * The certificates `skiff server` keeps beside its CA: the API server's serving certificate (kubeadm's
 * apiserver.crt, with the names clients reach it by) and client certificates for the admin kubeconfig and the
 * built-in components, each named as upstream's bootstrap RBAC policy expects (system:kube-scheduler, …).
 */
import { isIP } from 'node:net';
import type { ClusterCA } from './ca.js';
import type { CertSpec, IssueOptions } from './issue.js';
import { loadOrIssueCertificate, loadOrIssueCertificates, type StoredCert } from './stored.js';

/** The in-cluster names of the `kubernetes` Service, as kube-apiserver puts them in its serving certificate. */
export const KUBERNETES_SERVICE_NAMES = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];

export interface ServingNames {
  /** Hosts the server listens on (IPs or names); 0.0.0.0 and :: stand for every address in `interfaceAddresses`. */
  listenHosts: string[];
  /** The `kubernetes` Service's ClusterIP (the service range's first address). */
  serviceIP: string;
  /** This machine's addresses, for wildcard listeners. */
  interfaceAddresses?: string[];
  /** This machine's host name, for wildcard listeners. */
  hostname?: string;
}

const isWildcard = (h: string): boolean => h === '0.0.0.0' || h === '::' || h === '';

/** The serving certificate's spec: every name and address a client may use to reach the API server. */
export function servingSpec(n: ServingNames): CertSpec {
  const dns = new Set<string>(['localhost', ...KUBERNETES_SERVICE_NAMES]);
  const ips = new Set<string>(['127.0.0.1', n.serviceIP]);
  for (const h of n.listenHosts) {
    if (isWildcard(h)) {
      for (const a of n.interfaceAddresses ?? []) ips.add(a);
      if (n.hostname) dns.add(n.hostname);
    } else if (isIP(h)) ips.add(h);
    else dns.add(h);
  }
  return { commonName: 'kube-apiserver', dnsNames: [...dns], ipAddresses: [...ips], usages: ['server'] };
}

/** Members of system:masters are allowed everything (upstream's superuser group). */
export const ADMIN_SPEC: CertSpec = { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'] };
export const SCHEDULER_SPEC: CertSpec = { commonName: 'system:kube-scheduler', usages: ['client'] };
export const CONTROLLER_MANAGER_SPEC: CertSpec = { commonName: 'system:kube-controller-manager', usages: ['client'] };
export const PROXY_SPEC: CertSpec = { commonName: 'system:kube-proxy', usages: ['client'] };
/** The in-process cluster DNS server: read-only, bound to the system:coredns ClusterRole (as CoreDNS's ServiceAccount). */
export const DNS_SPEC: CertSpec = { commonName: 'system:coredns', usages: ['client'] };
/** A node's identity, as the Node authoriser reads it. */
export const nodeSpec = (nodeName: string): CertSpec => ({ commonName: `system:node:${nodeName}`, organizations: ['system:nodes'], usages: ['client'] });

export interface ClusterCertificates {
  serving: StoredCert;
  admin: StoredCert;
}

/** The built-in components that run inside `skiff server`, each with a client certificate of its own. */
export type Component = 'scheduler' | 'controller-manager' | 'proxy' | 'node' | 'dns';

function componentSpec(c: Component, nodeName: string | undefined): CertSpec {
  switch (c) {
    case 'scheduler': return SCHEDULER_SPEC;
    case 'controller-manager': return CONTROLLER_MANAGER_SPEC;
    case 'proxy': return PROXY_SPEC;
    case 'dns': return DNS_SPEC;
    case 'node':
      if (!nodeName) throw new Error('a node certificate needs the node name');
      return nodeSpec(nodeName);
  }
}

export interface ServerCertificates extends ClusterCertificates {
  components: Partial<Record<Component, StoredCert>>;
}

/**
 * The serving, admin and components' certificates in `dataDir`, new keys made in parallel. `node` is the local
 * node's identity (system:node:<nodeName>, group system:nodes), renewed when the node's name changes.
 */
export async function loadOrIssueServerCertificates(dataDir: string, ca: ClusterCA, names: ServingNames, components: readonly Component[], opts: IssueOptions & { nodeName?: string } = {}): Promise<ServerCertificates> {
  const wanted = [
    { name: 'apiserver', spec: servingSpec(names) },
    { name: 'admin', spec: ADMIN_SPEC },
    ...components.map((c) => ({ name: c, spec: componentSpec(c, opts.nodeName) })),
  ];
  const [serving, admin, ...rest] = await loadOrIssueCertificates(dataDir, ca, wanted, opts);
  return { serving: serving!, admin: admin!, components: Object.fromEntries(components.map((c, i) => [c, rest[i]!])) };
}

/** Loads (or issues, or renews) the serving and admin certificates in `dataDir`. */
export function loadOrIssueClusterCertificates(dataDir: string, ca: ClusterCA, names: ServingNames, opts: IssueOptions = {}): ClusterCertificates {
  return {
    serving: loadOrIssueCertificate(dataDir, 'apiserver', ca, servingSpec(names), opts),
    admin: loadOrIssueCertificate(dataDir, 'admin', ca, ADMIN_SPEC, opts),
  };
}
