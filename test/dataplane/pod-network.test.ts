/**
 * The pod network of a real node, as root, in namespaces named skiff-t-<run>-… that this file creates and
 * always deletes: two nodes joined by a cluster namespace, pods on each, real pings (busybox) between them.
 * Nothing is created in the host's namespace; a test checks that the bridge is not there.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec } from '../../src/dataplane/proxy/apply/exec.js';
import { BridgePodNetwork, ensureClusterNetns, nodeNetnsName, podNetnsName, removeClusterNetns, type NodeLike } from '../../src/dataplane/kubelet/network/index.js';
import { dataplaneSkipReason } from './netns.js';

const skip = dataplaneSkipReason(['sysctl']) ?? (existsSync('/bin/busybox') ? null : 'pod network tests need /bin/busybox (busybox-static) for ping');
if (skip) console.warn(`skipping pod network tests: ${skip}`);

const run = `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;
const prefix = `skiff-t-${run}-`;
const lan = `${prefix}lan`;
const N1 = { ip: '10.99.0.2', cidr: '10.244.1.0/24' };
const N2 = { ip: '10.99.0.3', cidr: '10.244.2.0/24' };
let dir = '';

/** Deletes every namespace of this run, whatever state the tests left (also on process exit). */
function sweep(): void {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    /* none */
  }
  for (const n of names) if (n.startsWith(prefix)) spawnSync('ip', ['netns', 'del', n]);
  if (dir) rmSync(dir, { recursive: true, force: true });
}

function netnsOf(p: { netnsPath: string }): string {
  return p.netnsPath.slice('/run/netns/'.length);
}

async function ping(fromNetns: string, to: string): Promise<boolean> {
  const r = await exec({ netns: fromNetns }, '/bin/busybox', ['ping', '-c', '1', '-W', '1', to]);
  return r.code === 0 && /1 packets received/.test(r.stdout);
}

function node(name: string, n: { ip: string; cidr: string }): NodeLike {
  return { metadata: { name }, spec: { podCIDR: n.cidr }, status: { addresses: [{ type: 'InternalIP', address: n.ip }] } };
}

function pod(name: string, hostNetwork = false) {
  return { namespace: 'default', name, uid: `${run}-${name}-0000-4000-8000-000000000000`, hostNetwork };
}

function network(nodeName: string, n: { ip: string }): BridgePodNetwork {
  return new BridgePodNetwork({ stateDir: join(dir, nodeName), prefix, uplink: { clusterNetns: lan, address: `${n.ip}/24` } });
}

describe.skipIf(skip !== null).sequential('pod network (root, netns)', () => {
  let net1: BridgePodNetwork;
  let net2: BridgePodNetwork | undefined;
  const a = pod('a');
  const b = pod('b');
  const c = pod('c');
  const far = pod('far');

  beforeAll(async () => {
    process.on('exit', sweep);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130)); // runs the exit sweep
    dir = mkdtempSync(join(tmpdir(), 'skiff-podnet-'));
    await ensureClusterNetns(lan);
    net1 = network('n1', N1);
    await net1.start({ nodeName: 'n1', podCIDR: N1.cidr, hostNetwork: false });
  }, 30_000);

  afterAll(async () => {
    try {
      await net1?.destroy();
      await net2?.destroy();
      await removeClusterNetns(lan);
    } finally {
      sweep();
    }
  });

  it('starts the node in its own namespace with the bridge as gateway, idempotently, and not in the host', async () => {
    const ns = nodeNetnsName('n1', prefix);
    expect(net1.nodeNetnsPath()).toBe(`/run/netns/${ns}`);
    await net1.start({ nodeName: 'n1', podCIDR: N1.cidr, hostNetwork: false });
    const addr = spawnSync('ip', ['-n', ns, '-4', '-o', 'addr', 'show', 'dev', 'skiff0'], { encoding: 'utf8' }).stdout;
    expect(addr).toMatch(/inet 10\.244\.1\.1\/24/);
    expect(addr.trim().split('\n')).toHaveLength(1);
    expect(spawnSync('ip', ['netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.ip_forward'], { encoding: 'utf8' }).stdout.trim()).toBe('1');
    // read-only look at the host's namespace: the bridge must not be there
    expect(spawnSync('ip', ['link', 'show', 'dev', 'skiff0']).status).not.toBe(0);
  });

  it('gives each pod a namespace with an address from the podCIDR; the same again for the same uid', async () => {
    const [sa, sb] = await Promise.all([net1.setUp(a), net1.setUp(b)]);
    expect(new Set([sa.ips[0], sb.ips[0]])).toEqual(new Set(['10.244.1.2', '10.244.1.3']));
    expect(sa.netnsPath).toBe(`/run/netns/${podNetnsName(a.uid, prefix)}`);
    expect(existsSync(sa.netnsPath)).toBe(true);
    expect(await net1.setUp(a)).toEqual(sa);
  });

  it('pods reach each other and their gateway', async () => {
    const pa = (await net1.list()).get(a.uid)!;
    const pb = (await net1.list()).get(b.uid)!;
    expect(await ping(netnsOf(pa), pb.ips[0]!)).toBe(true);
    expect(await ping(netnsOf(pb), pa.ips[0]!)).toBe(true);
    expect(await ping(netnsOf(pa), '10.244.1.1')).toBe(true);
    expect(await ping(netnsOf(pa), '10.244.1.200')).toBe(false); // nobody there: the ping can fail
  });

  it('a restarted agent (a new object on the same state) finds the sandboxes and their addresses', async () => {
    const before = await net1.list();
    net1 = network('n1', N1);
    await net1.start({ nodeName: 'n1', podCIDR: N1.cidr, hostNetwork: false });
    const after = await net1.list();
    expect(after).toEqual(before);
    expect(after.get(a.uid)?.ips).toEqual([before.get(a.uid)!.ips[0]]);
    expect(await net1.setUp(a)).toEqual(before.get(a.uid));
    // round-robin continues after the last address given, as host-local does
    expect((await net1.setUp(c)).ips).toEqual(['10.244.1.4']);
    expect(await ping(netnsOf(after.get(a.uid)!), after.get(b.uid)!.ips[0]!)).toBe(true);
  });

  it('tearDown removes the namespace and its veth and frees the address; twice is fine', async () => {
    const sb = (await net1.list()).get(b.uid)!;
    await net1.tearDown(b.uid);
    expect(existsSync(sb.netnsPath)).toBe(false);
    expect((await net1.list()).has(b.uid)).toBe(false);
    const lease = JSON.parse(readFileSync(join(dir, 'n1', 'ipam.json'), 'utf8')) as { leases: Record<string, unknown> };
    expect(Object.keys(lease.leases)).not.toContain(b.uid);
    const links = spawnSync('ip', ['-n', nodeNetnsName('n1', prefix), '-o', 'link', 'show', 'master', 'skiff0'], { encoding: 'utf8' }).stdout;
    expect(links.trim().split('\n')).toHaveLength(2); // a and c
    // The bridge keeps its own MAC as ports come and go, so the pods' ARP entries for the gateway stay right.
    const bridge = spawnSync('ip', ['-n', nodeNetnsName('n1', prefix), 'link', 'show', 'dev', 'skiff0'], { encoding: 'utf8' }).stdout;
    expect(bridge).toContain('link/ether 0a:58:0a:f4:01:01');
    const sa = (await net1.list()).get(a.uid)!;
    expect(await ping(netnsOf(sa), '10.244.1.1')).toBe(true);
    await net1.tearDown(b.uid);
    await net1.tearDown('never-seen');
  });

  it('a sandbox whose namespace vanished (a reboot) is dropped by list() and its address is free', async () => {
    const d = pod('d');
    const sd = await net1.setUp(d);
    spawnSync('ip', ['netns', 'del', netnsOf(sd)]);
    expect((await net1.list()).has(d.uid)).toBe(false);
    const lease = JSON.parse(readFileSync(join(dir, 'n1', 'ipam.json'), 'utf8')) as { leases: Record<string, unknown> };
    expect(Object.keys(lease.leases)).not.toContain(d.uid);
  });

  it('a half-made sandbox is made again by setUp', async () => {
    const sc = (await net1.list()).get(c.uid)!;
    spawnSync('ip', ['-n', netnsOf(sc), 'addr', 'flush', 'dev', 'eth0']);
    const fresh = network('n1', N1); // this process knew it complete; a restarted one checks
    await fresh.start({ nodeName: 'n1', podCIDR: N1.cidr, hostNetwork: false });
    expect(await fresh.setUp(c)).toEqual(sc);
    expect(await ping(netnsOf(sc), '10.244.1.1')).toBe(true);
    net1 = fresh;
  });

  it('a hostNetwork pod gets the node namespace and the node IP', async () => {
    const h = await net1.setUp(pod('h', true));
    expect(h).toEqual({ netnsPath: net1.nodeNetnsPath(), ips: [N1.ip] });
    expect((await net1.list()).get(pod('h', true).uid)).toEqual(h);
    await expect(net1.setUp({ ...pod('h'), hostNetwork: false })).rejects.toThrow(/changed spec.hostNetwork/);
    await net1.tearDown(pod('h').uid);
  });

  it('pods on two node namespaces reach each other through routes set from the Node objects', async () => {
    net2 = network('n2', N2);
    await net2.start({ nodeName: 'n2', podCIDR: N2.cidr, hostNetwork: false });
    const sf = await net2.setUp(far);
    expect(sf.ips).toEqual(['10.244.2.2']);
    const sa = (await net1.list()).get(a.uid)!;
    expect(await ping(netnsOf(sa), sf.ips[0]!)).toBe(false); // no routes yet
    const nodes = [node('n1', N1), node('n2', N2), node('n3', { ip: '10.77.0.9', cidr: '10.244.3.0/24' })];
    const r1 = await net1.applyPeerRoutes(nodes);
    const r2 = await net2.applyPeerRoutes(nodes);
    // n3's address is on no link here: reported, while the reachable peer's route is still set
    expect(r1.error).toMatch(/Nexthop has invalid gateway|Network is unreachable/);
    expect(r2.changes).toBe(2);
    expect(await ping(netnsOf(sa), sf.ips[0]!)).toBe(true);
    expect(await ping(netnsOf(sf), sa.ips[0]!)).toBe(true);
    const again = await net1.applyPeerRoutes(nodes.slice(0, 2));
    expect(again).toEqual({ changes: 0, error: '' });
    // a route someone removed comes back on a forced resync (an unforced one with the same nodes skips the work)
    spawnSync('ip', ['-n', nodeNetnsName('n1', prefix), 'route', 'del', N2.cidr]);
    expect(await net1.applyPeerRoutes(nodes.slice(0, 2))).toEqual({ changes: 0, error: '' });
    expect(await net1.applyPeerRoutes(nodes.slice(0, 2), { force: true })).toEqual({ changes: 1, error: '' });
    // a node that left loses its route
    const gone = await net2.applyPeerRoutes([node('n2', N2)]);
    expect(gone).toEqual({ changes: 1, error: '' });
    expect(await ping(netnsOf(sf), sa.ips[0]!)).toBe(false);
  });

  it('a full podCIDR fails set-up in host-local\'s words; a failed set-up leaves no namespace and no lease', async () => {
    const small = new BridgePodNetwork({ stateDir: join(dir, 'n3'), prefix });
    try {
      await small.start({ nodeName: 'n3', podCIDR: '10.244.3.0/29', hostNetwork: false }); // .2 - .6
      const many = Array.from({ length: 5 }, (_, i) => pod(`s${i}`));
      const boxes = await Promise.all(many.map((p) => small.setUp(p)));
      expect(new Set(boxes.map((b) => b.ips[0])).size).toBe(5);
      await expect(small.setUp(pod('s5'))).rejects.toThrow('no IP addresses available in range set: 10.244.3.2-10.244.3.6');
      expect(existsSync(`/run/netns/${podNetnsName(pod('s5').uid, prefix)}`)).toBe(false);
      // a step failing half-way (the bridge is gone) is rolled back: namespace deleted, address free again
      await small.tearDown(many[0]!.uid);
      spawnSync('ip', ['-n', nodeNetnsName('n3', prefix), 'link', 'del', 'skiff0']);
      const late = pod('late');
      await expect(small.setUp(late)).rejects.toThrow(/set up default\/late .*skiff0/);
      expect(existsSync(`/run/netns/${podNetnsName(late.uid, prefix)}`)).toBe(false);
      expect((await small.list()).has(late.uid)).toBe(false);
      // start() again repairs the node; the address is there for the next pod
      await small.start({ nodeName: 'n3', podCIDR: '10.244.3.0/29', hostNetwork: false });
      const ok = await small.setUp(late);
      expect(ok.ips[0]).toMatch(/^10\.244\.3\.[2-6]$/);
      expect(await ping(netnsOf(ok), '10.244.3.1')).toBe(true);
    } finally {
      await small.destroy();
    }
  });

  it('a node namespace the caller made (--netns) is set up, and destroy() empties it but leaves it', async () => {
    const own = `${prefix}given`;
    spawnSync('ip', ['netns', 'add', own]);
    const given = new BridgePodNetwork({ stateDir: join(dir, 'n4'), prefix, nodeNetns: own, uplink: { clusterNetns: lan, address: '10.99.0.5/24' } });
    try {
      await given.start({ nodeName: 'n4', podCIDR: '10.244.4.0/24', hostNetwork: false });
      expect(given.nodeNetnsPath()).toBe(`/run/netns/${own}`);
      const p = await given.setUp(pod('g'));
      expect(await ping(netnsOf(p), '10.244.4.1')).toBe(true);
      expect(await ping(netnsOf(p), N1.ip)).toBe(false); // n1 has no route back to 10.244.4.0/24 yet
      expect(await given.applyPeerRoutes([node('n1', N1), node('n4', { ip: '10.99.0.5', cidr: '10.244.4.0/24' })])).toEqual({ changes: 1, error: '' });
      await given.destroy();
      expect(existsSync(`/run/netns/${own}`)).toBe(true);
      expect(existsSync(p.netnsPath)).toBe(false);
      const left = spawnSync('ip', ['-n', own, '-o', 'link'], { encoding: 'utf8' }).stdout.trim().split('\n');
      expect(left.map((l) => l.split(':')[1]!.trim())).toEqual(['lo']);
      expect(spawnSync('ip', ['-n', own, 'route', 'show', 'proto', '83'], { encoding: 'utf8' }).stdout).toBe('');
    } finally {
      spawnSync('ip', ['netns', 'del', own]);
    }
  });

  it('destroy removes the node namespace and its pods', async () => {
    const pods = [...(await net2!.list()).values()];
    const ns = nodeNetnsName('n2', prefix);
    await net2!.destroy();
    net2 = undefined;
    expect(existsSync(`/run/netns/${ns}`)).toBe(false);
    for (const p of pods) expect(existsSync(p.netnsPath)).toBe(false);
    expect(existsSync(join(dir, 'n2', 'ipam.json'))).toBe(false);
  });
});
