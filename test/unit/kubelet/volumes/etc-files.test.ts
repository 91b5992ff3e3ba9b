import { describe, expect, it } from 'vitest';
import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  hostNetworkHostsFile, managedHostsFile, parseResolvConf, podDNSConfig, podHostnameAndDomain, resolvConfText, type NodeDNS,
} from '../../../../src/dataplane/kubelet/volumes/etc-files.js';

const LOCAL =
  '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
  'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

describe('hosts file', () => {
  it('has localhost lines, the pod IPs with hostname (and FQDN with a subdomain), then hostAliases', () => {
    expect(managedHostsFile(['10.244.1.5'], 'web-0', '')).toBe(LOCAL + '10.244.1.5\tweb-0\n');
    expect(managedHostsFile(['10.244.1.5', 'fd00::5'], 'web-0', 'web.shop.svc.cluster.local', [{ ip: '1.2.3.4', hostnames: ['foo', 'bar'] }])).toBe(
      LOCAL +
        '10.244.1.5\tweb-0.web.shop.svc.cluster.local\tweb-0\n' +
        'fd00::5\tweb-0.web.shop.svc.cluster.local\tweb-0\n' +
        '\n# Entries added by HostAliases.\n1.2.3.4\tfoo\tbar\n',
    );
  });

  it('a hostNetwork pod gets the node hosts file under its own header', () => {
    expect(hostNetworkHostsFile('127.0.0.1 localhost\n', [{ ip: '5.6.7.8', hostnames: ['x'] }])).toBe(
      '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n5.6.7.8\tx\n',
    );
  });
});

describe('pod hostname and domain', () => {
  const pod = (spec: Pod['spec'], name = 'web-0'): Pod => ({ metadata: { name, namespace: 'shop' }, spec });
  it('uses spec.hostname / subdomain, truncates at 63 without a trailing dash or dot', () => {
    expect(podHostnameAndDomain(pod({ containers: [] }))).toEqual({ hostname: 'web-0', domain: '' });
    expect(podHostnameAndDomain(pod({ containers: [], hostname: 'h', subdomain: 'web' }), 'corp.local')).toEqual({ hostname: 'h', domain: 'web.shop.svc.corp.local' });
    const long = 'a'.repeat(62) + '-b';
    expect(podHostnameAndDomain(pod({ containers: [] }, long)).hostname).toBe('a'.repeat(62));
  });
  it('rejects invalid labels', () => {
    expect(() => podHostnameAndDomain(pod({ containers: [], hostname: 'Bad_Name' }))).toThrow('pod Hostname "Bad_Name" is not a valid DNS label: a lowercase RFC 1123 label');
    expect(() => podHostnameAndDomain(pod({ containers: [], subdomain: 'x.y' }))).toThrow('pod Subdomain "x.y" is not a valid DNS label');
  });
});

describe('pod DNS (resolv.conf)', () => {
  const node: NodeDNS = {
    clusterDNS: ['10.96.0.10'],
    clusterDomain: 'cluster.local',
    hostResolvConf: '# host\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example. lab.example .\noptions ndots:2 timeout:1\noptions timeout:3\n',
  };
  const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p', namespace: 'shop' }, spec: { containers: [], ...spec } });

  it('parses the node resolv.conf as the kubelet does', () => {
    expect(parseResolvConf(node.hostResolvConf)).toEqual({
      servers: ['192.168.1.1', '192.168.1.2'],
      searches: ['corp.example', 'lab.example'],
      options: ['ndots:2', 'timeout:3'],
    });
  });

  it('ClusterFirst: cluster DNS only, cluster searches before the host ones, ndots:5', () => {
    const r = podDNSConfig(pod({}), node);
    expect(resolvConfText(r.config)).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    expect(r.warnings).toEqual([]);
  });

  it('ClusterFirst on the host network falls back to Default; ClusterFirstWithHostNet does not', () => {
    expect(podDNSConfig(pod({ hostNetwork: true }), node).config.servers).toEqual(['192.168.1.1', '192.168.1.2']);
    expect(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), node).config.servers).toEqual(['10.96.0.10']);
  });

  it("Default: the node's resolver; with --resolv-conf='' the local one", () => {
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), node).config).toEqual(parseResolvConf(node.hostResolvConf));
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), { ...node, hostResolvConf: '', nodeIPs: ['fd00::1'] }).config).toEqual({ servers: ['::1'], searches: ['.'], options: [] });
  });

  it('ClusterFirst without a cluster DNS IP warns and falls back to Default', () => {
    const r = podDNSConfig(pod({}), { ...node, clusterDNS: [] });
    expect(r.config.servers).toEqual(['192.168.1.1', '192.168.1.2']);
    expect(r.warnings[0]!.reason).toBe('MissingClusterDNS');
  });

  it('None uses dnsConfig alone; dnsConfig merges into the others (duplicates dropped, options replaced by name)', () => {
    const none = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), node);
    expect(resolvConfText(none.config)).toBe('search a.example\nnameserver 1.1.1.1\noptions ndots:2 edns0\n');
    const merged = podDNSConfig(
      pod({ dnsConfig: { nameservers: ['10.96.0.10', '8.8.8.8'], searches: ['svc.cluster.local', 'x.example'], options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }] } }),
      node,
    );
    expect(merged.config).toEqual({
      servers: ['10.96.0.10', '8.8.8.8'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'x.example'],
      options: ['ndots:1', 'single-request'],
    });
    expect(resolvConfText(podDNSConfig(pod({ dnsPolicy: 'None' }), node).config)).toBeUndefined();
  });

  it('keeps within the nameserver and search limits, with a DNSConfigForming warning', () => {
    const r = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'], searches: Array.from({ length: 40 }, (_, i) => `s${i}.example`) } }), node);
    expect(r.config.servers).toEqual(['1.1.1.1', '2.2.2.2', '3.3.3.3']);
    expect(r.config.searches).toHaveLength(32);
    expect(r.warnings.map((w) => w.message)).toEqual([
      'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 1.1.1.1 2.2.2.2 3.3.3.3',
      `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${r.config.searches.join(' ')}`,
    ]);
  });
});
