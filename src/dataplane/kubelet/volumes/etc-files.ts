/**
 * The files the kubelet and runtime put over a container's /etc: the managed hosts file (kubelet_pods.go
 * managedHostsFileContent / nodeHostsFileContent), resolv.conf from the pod's DNS policy (pkg/kubelet/network/dns
 * GetPodDNS, written as containerd writes it), and the pod's hostname and domain (GeneratePodHostNameAndDomain).
 * Content builders are pure; callers write the files.
 */
import type { HostAlias, Pod, PodDNSConfig } from 'kubernetes-types/core/v1.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function dns1123LabelErrors(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(v)) {
    errs.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return errs;
}

/** GeneratePodHostNameAndDomain: hostname (spec.hostname or the pod name, cut to 63) and `<subdomain>.<ns>.svc.<domain>`. */
export function podHostnameAndDomain(podObj: { metadata?: unknown; spec?: unknown }, clusterDomain = 'cluster.local'): { hostname: string; domain: string } {
  const pod = podObj as Pod;
  const name = pod.metadata?.name ?? '';
  let hostname = name;
  const spec = pod.spec;
  if (spec?.hostname) {
    const errs = dns1123LabelErrors(spec.hostname);
    if (errs.length) throw new Error(`pod Hostname "${spec.hostname}" is not a valid DNS label: ${errs.join(';')}`);
    hostname = spec.hostname;
  }
  if (hostname.length > 63) {
    const truncated = hostname.slice(0, 63).replace(/[-.]+$/, '');
    if (truncated === '') throw new Error(`hostname for pod "${name}" was invalid: "${hostname}"`);
    hostname = truncated;
  }
  let domain = '';
  if (spec?.subdomain) {
    const errs = dns1123LabelErrors(spec.subdomain);
    if (errs.length) throw new Error(`pod Subdomain "${spec.subdomain}" is not a valid DNS label: ${errs.join(';')}`);
    domain = `${spec.subdomain}.${pod.metadata?.namespace ?? 'default'}.svc.${clusterDomain}`;
  }
  return { hostname, domain };
}

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const MANAGED_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

function hostAliasEntries(aliases: readonly HostAlias[] | undefined): string {
  if (!aliases || aliases.length === 0) return '';
  let s = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) s += `${a.ip ?? ''}\t${(a.hostnames ?? []).join('\t')}\n`;
  return s;
}

/** managedHostsFileContent: localhost lines, one line per pod IP, then hostAliases. */
export function managedHostsFile(podIPs: readonly string[], hostname: string, domain: string, aliases?: readonly HostAlias[]): string {
  let s = MANAGED_HEADER;
  s += '127.0.0.1\tlocalhost\n';
  s += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  s += 'fe00::0\tip6-localnet\n';
  s += 'fe00::0\tip6-mcastprefix\n';
  s += 'fe00::1\tip6-allnodes\n';
  s += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasEntries(aliases);
}

/** nodeHostsFileContent: a hostNetwork pod gets the node's own hosts file under a header, plus hostAliases. */
export function hostNetworkHostsFile(nodeHosts: string, aliases?: readonly HostAlias[]): string {
  return MANAGED_HEADER_HOST_NETWORK + nodeHosts + hostAliasEntries(aliases);
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

/** parseResolvConf: nameservers accumulate; the last `search` line wins (trailing dots and "." dropped); options accumulate. */
export function parseResolvConf(text: string): DNSConfig {
  const cfg: DNSConfig = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const f = line.split(/\s+/).filter(Boolean);
    if (f.length === 0) continue;
    if (f[0] === 'nameserver' && f.length >= 2) cfg.servers.push(f[1]!);
    if (f[0] === 'search') cfg.searches = f.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    if (f[0] === 'options') cfg.options = mergeOptionStrings(cfg.options, f.slice(1));
  }
  return cfg;
}

function optionName(op: string): string {
  const i = op.indexOf(':');
  return i < 0 ? op : op.slice(0, i);
}

/** A later option of the same name replaces an earlier one in place. */
function mergeOptionStrings(existing: readonly string[], added: readonly string[]): string[] {
  const out = [...existing];
  for (const op of added) {
    const at = out.findIndex((o) => optionName(o) === optionName(op));
    if (at >= 0) out[at] = op;
    else out.push(op);
  }
  return out;
}

function omitDuplicates(list: readonly string[]): string[] {
  return [...new Set(list)];
}

export interface NodeDNS {
  /** --cluster-dns: the kube-dns Service IP(s); empty = none known. */
  clusterDNS: string[];
  /** --cluster-domain. */
  clusterDomain: string;
  /** The node's resolv.conf (--resolv-conf) content; '' = the flag set to "" (localhost resolver). */
  hostResolvConf: string;
  /** The node's IPs (for the localhost fallback when hostResolvConf is ''). */
  nodeIPs?: string[];
}

export interface PodDNSResult {
  config: DNSConfig;
  /** DNSConfigForming / MissingClusterDNS warnings the kubelet records. */
  warnings: { reason: string; message: string }[];
}

const MAX_NAMESERVERS = 3;
const MAX_SEARCH_PATHS = 32;
const MAX_SEARCH_CHARS = 2048;

/** Configurer.GetPodDNS: the pod's nameservers, search list and options from its dnsPolicy and dnsConfig. */
export function podDNSConfig(podObj: { metadata?: unknown; spec?: unknown }, node: NodeDNS): PodDNSResult {
  const pod = podObj as Pod;
  const warnings: PodDNSResult['warnings'] = [];
  const host = parseResolvConf(node.hostResolvConf);
  let cfg: DNSConfig = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  const policy = pod.spec?.dnsPolicy || 'ClusterFirst';
  const hostNetwork = pod.spec?.hostNetwork === true;
  let type: 'none' | 'cluster' | 'host';
  if (policy === 'None') type = 'none';
  else if (policy === 'ClusterFirstWithHostNet') type = 'cluster';
  else if (policy === 'ClusterFirst') type = hostNetwork ? 'host' : 'cluster';
  else if (policy === 'Default') type = 'host';
  else type = 'cluster'; // invalid policy: upstream logs and falls back to ClusterFirst

  if (type === 'none') {
    cfg = { servers: [], searches: [], options: [] };
  } else if (type === 'cluster' && node.clusterDNS.length > 0) {
    cfg.servers = [...node.clusterDNS];
    if (node.clusterDomain) {
      const ns = pod.metadata?.namespace ?? 'default';
      const d = node.clusterDomain;
      cfg.searches = omitDuplicates([`${ns}.svc.${d}`, `svc.${d}`, d, ...cfg.searches]);
    }
    cfg.options = ['ndots:5'];
  } else {
    if (type === 'cluster') {
      warnings.push({
        reason: 'MissingClusterDNS',
        message: 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.',
      });
    }
    if (node.hostResolvConf === '') {
      cfg.servers = (node.nodeIPs ?? []).map((ip) => (ip.includes(':') ? '::1' : '127.0.0.1'));
      if (cfg.servers.length === 0) cfg.servers = ['127.0.0.1'];
      cfg.searches = ['.'];
    }
  }

  const dc: PodDNSConfig | undefined = pod.spec?.dnsConfig;
  if (dc) {
    cfg.servers = omitDuplicates([...cfg.servers, ...(dc.nameservers ?? [])]);
    cfg.searches = omitDuplicates([...cfg.searches, ...(dc.searches ?? [])]);
    cfg.options = mergeOptionStrings(
      cfg.options,
      (dc.options ?? []).map((o) => (o.value !== undefined && o.value !== '' ? `${o.name}:${o.value}` : o.name ?? '')),
    );
  }

  if (cfg.servers.length > MAX_NAMESERVERS) {
    cfg.servers = cfg.servers.slice(0, MAX_NAMESERVERS);
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${cfg.servers.join(' ')}`,
    });
  }
  cfg.searches = fitSearches(cfg.searches, warnings);
  return { config: cfg, warnings };
}

/** formDNSSearchFitsLimits: at most 32 paths, none over 253 characters, the line within 2048 characters. */
function fitSearches(searches: string[], warnings: PodDNSResult['warnings']): string[] {
  let exceeded = false;
  let out = searches;
  if (out.length > MAX_SEARCH_PATHS) {
    out = out.slice(0, MAX_SEARCH_PATHS);
    exceeded = true;
  }
  const kept = out.filter((s) => s.length <= 253);
  if (kept.length !== out.length) exceeded = true;
  out = kept;
  if (out.join(' ').length > MAX_SEARCH_CHARS) {
    let cols = 0;
    for (let i = 0; i < out.length; i++) {
      cols += out[i]!.length;
      if (cols > MAX_SEARCH_CHARS) {
        exceeded = true;
        out = out.slice(0, i);
        break;
      }
      cols++;
    }
  }
  if (exceeded) {
    warnings.push({
      reason: 'DNSConfigForming',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.join(' ')}`,
    });
  }
  return out;
}

/**
 * resolv.conf text as containerd writes it from the CRI DNS config (search, nameserver lines, options), or
 * undefined when the config is empty: then the runtime copies the node's own resolv.conf.
 */
export function resolvConfText(cfg: DNSConfig): string | undefined {
  let s = '';
  if (cfg.searches.length) s += `search ${cfg.searches.join(' ')}\n`;
  for (const ns of cfg.servers) s += `nameserver ${ns}\n`;
  if (cfg.options.length) s += `options ${cfg.options.join(' ')}\n`;
  return s === '' ? undefined : s;
}
