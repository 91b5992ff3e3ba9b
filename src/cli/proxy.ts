/**
 * `skiff proxy …`: the proxy agent and its offline tools.
 *   skiff proxy --kubeconfig FILE [--mode iptables|ipvs|nftables] [--netns NAME | --host-network] …
 *   skiff proxy compile --mode iptables|nftables [--nft-layout upstream|flat] < list.json
 *   skiff proxy trace --rules FILE --src IP --dst IP:PORT [--proto tcp]
 * The agent never touches the host's own network unless --host-network is given.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { guard } from './guard.js';
import type { NftLayout, ProxyMode } from '../dataplane/proxy/backends.js';
import { buildServicePorts, isIPv4, type EndpointSliceObject, type ServiceObject } from '../dataplane/proxy/model-builder.js';
import type { ProxyConfig } from '../dataplane/proxy/model.js';

function mode(v: string): ProxyMode {
  if (v !== 'iptables' && v !== 'ipvs' && v !== 'nftables') throw new InvalidArgumentError('iptables, ipvs or nftables');
  return v;
}

function layout(v: string): NftLayout {
  if (v !== 'upstream' && v !== 'flat') throw new InvalidArgumentError('upstream or flat');
  return v;
}

/** Go-style durations as kube-proxy's flags take them: 500ms, 1s, 30s, 1m. */
export function duration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 500ms, 1s, 30s or 1m');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

function cidr(v: string): string {
  const [ip, len] = v.split('/');
  if (!ip || !isIPv4(ip) || !len || !/^\d+$/.test(len) || Number(len) > 32) throw new InvalidArgumentError('an IPv4 CIDR such as 10.244.0.0/16');
  return v;
}

function ipList(v: string, prev: string[] = []): string[] {
  for (const ip of v.split(',')) {
    if (!isIPv4(ip.trim())) throw new InvalidArgumentError(`${ip} is not an IPv4 address`);
    prev.push(ip.trim());
  }
  return prev;
}

function masqBit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 31) throw new InvalidArgumentError('an integer from 0 to 31');
  return n;
}

/** Split a JSON List (or a single object, or a plain array) into Services and EndpointSlices. */
export function readObjects(text: string): { services: ServiceObject[]; slices: EndpointSliceObject[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`input is not JSON: ${(e as Error).message}`);
  }
  const items: unknown[] = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { items?: unknown }).items) ? (doc as { items: unknown[] }).items : [doc];
  const services: ServiceObject[] = [];
  const slices: EndpointSliceObject[] = [];
  items.forEach((it, i) => {
    const o = it as { kind?: string; metadata?: { name?: string } };
    if (!o || typeof o !== 'object' || !o.metadata?.name) throw new Error(`items[${i}]: not a Kubernetes object (metadata.name missing)`);
    if (o.kind === 'Service') services.push(o as ServiceObject);
    else if (o.kind === 'EndpointSlice') slices.push(o as EndpointSliceObject);
  });
  return { services, slices };
}

interface RunOpts {
  kubeconfig: string;
  mode: ProxyMode;
  nftLayout: NftLayout;
  netns?: string;
  hostNetwork?: boolean;
  clusterCidr: string;
  nodeName: string;
  nodeIp?: string[];
  masqueradeBit: number;
  minSyncPeriod: number;
  syncPeriod: number;
  healthzBindAddress: string;
  metricsBindAddress: string;
  compiler: 'wasm' | 'reference';
  cleanup?: boolean;
}

async function runAgent(o: RunOpts): Promise<void> {
  // Loaded here, not at `skiff` start: the other commands and --help skip them.
  const [{ loadKubeconfig }, { createBackend }, { proxyTarget, startProxy }] = await Promise.all([import('../client/index.js'), import('../dataplane/proxy/backends.js'), import('../dataplane/proxy/start.js')]);
  const target = proxyTarget(o);
  if (o.cleanup) {
    const nodeIPs = o.nodeIp?.length ? o.nodeIp : [];
    const backend = await createBackend({ mode: o.mode, nftLayout: o.nftLayout, target, config: { clusterCIDR: o.clusterCidr, nodeIPs, masqueradeBit: o.masqueradeBit }, compiler: o.compiler });
    await backend.cleanup();
    console.error(`proxy: removed ${backend.mode} rules`);
    return;
  }
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const running = await startProxy({
    client: loadKubeconfig(o.kubeconfig),
    mode: o.mode,
    nftLayout: o.nftLayout,
    netns: o.netns,
    hostNetwork: o.hostNetwork,
    clusterCIDR: o.clusterCidr,
    nodeName: o.nodeName,
    nodeIPs: o.nodeIp,
    masqueradeBit: o.masqueradeBit,
    minSyncPeriodMs: o.minSyncPeriod,
    syncPeriodMs: o.syncPeriod,
    healthzBindAddress: o.healthzBindAddress,
    metricsBindAddress: o.metricsBindAddress,
    compiler: o.compiler,
    log: (msg, f) => console.error(`proxy: ${msg} ${f ? JSON.stringify(f) : ''}`),
  });
  console.error(
    `proxy: ${running.backend.mode} in ${o.netns ? `netns ${o.netns}` : 'the host network'}, node ${o.nodeName}, node IPs ${running.nodeIPs.join(',') || '(none)'}; healthz :${running.healthzPort}, metrics :${running.metricsPort}`,
  );
  await stop;
  await running.stop();
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function registerProxyCommand(program: Command): Command {
  // `proxy` and `proxy compile` share option names (--mode …); commander routes options after a subcommand to
  // it only when every ancestor has positional options on. Root options (--help, --version) are unaffected.
  program.enablePositionalOptions();
  const proxy = program
    .command('proxy')
    .description('Run the service proxy (kube-proxy) for one node, or use its offline tools')
    // `skiff proxy compile --mode …`: options after a subcommand belong to it, not to the agent.
    .enablePositionalOptions()
    .option('--kubeconfig <file>', 'kubeconfig of the API server to watch')
    .option('--mode <mode>', 'iptables, ipvs or nftables', mode, 'iptables' as ProxyMode)
    .option('--nft-layout <layout>', 'nftables mode: upstream (kube-proxy\'s) or flat (constant chain count)', layout, 'upstream' as NftLayout)
    .option('--netns <name>', 'apply rules inside this named network namespace')
    .option('--host-network', 'apply rules in this process\'s own network namespace (the host\'s, usually)')
    .option('--cluster-cidr <cidr>', 'pods\' CIDR; traffic from outside it to a ClusterIP is masqueraded', cidr, '')
    .option('--node-name <name>', 'this node\'s name (for Local traffic policies)', hostname())
    .option('--node-ip <ips>', 'addresses that accept NodePorts (default: the namespace\'s addresses)', ipList)
    .option('--masquerade-bit <n>', 'fwmark bit for SNAT', masqBit, 14)
    .option('--min-sync-period <d>', 'minimum interval between syncs', duration, 1000)
    .option('--sync-period <d>', 'interval of full resyncs against the kernel', duration, 30_000)
    .option('--healthz-bind-address <host:port>', '/healthz server', '127.0.0.1:10256')
    .option('--metrics-bind-address <host:port>', '/metrics and /proxyMode server', '127.0.0.1:10249')
    .option('--compiler <c>', 'iptables rule compiler: wasm or reference', (v) => {
      if (v !== 'wasm' && v !== 'reference') throw new InvalidArgumentError('wasm or reference');
      return v;
    }, 'wasm')
    .option('--cleanup', 'remove this mode\'s rules from the target and exit')
    .action(
      guard('proxy', async (o: RunOpts) => {
        if (!o.kubeconfig && !o.cleanup) throw new Error('--kubeconfig is required');
        await runAgent(o);
      }),
    );

  proxy
    .command('compile')
    .description('Compile a JSON List of Services and EndpointSlices (stdin) into ruleset text (stdout)')
    .option('--mode <mode>', 'iptables, ipvs or nftables', mode, 'iptables' as ProxyMode)
    .option('--nft-layout <layout>', 'upstream or flat', layout, 'upstream' as NftLayout)
    .option('--cluster-cidr <cidr>', 'pods\' CIDR', cidr, '')
    .option('--node-name <name>', 'node the rules are for', '')
    .option('--node-ip <ips>', 'node addresses for NodePorts', ipList)
    .option('--masquerade-bit <n>', 'fwmark bit for SNAT', masqBit, 14)
    .action(guard('proxy', async (o: { mode: ProxyMode; nftLayout: NftLayout; clusterCidr: string; nodeName: string; nodeIp?: string[]; masqueradeBit: number }) => {
      const { services, slices } = readObjects(await readStdin());
      const model = buildServicePorts(services, slices, o.nodeName);
      const config: ProxyConfig = { clusterCIDR: o.clusterCidr, nodeIPs: o.nodeIp ?? [], masqueradeBit: o.masqueradeBit };
      if (o.mode === 'nftables') {
        const [{ compileFlat }, { compileUpstream }, { renderFull }] = await Promise.all([import('../dataplane/proxy/nftables/flat.js'), import('../dataplane/proxy/nftables/upstream.js'), import('../dataplane/proxy/nftables/ruleset.js')]);
        process.stdout.write(renderFull(o.nftLayout === 'flat' ? compileFlat(model, config) : compileUpstream(model, config)));
      } else if (o.mode === 'iptables') {
        const { createIptablesCompiler } = await import('../dataplane/proxy/compiler/index.js');
        process.stdout.write((await createIptablesCompiler(config)).full(model).text);
      } else {
        // IPVS mode is four texts; each section says which tool takes it.
        const ipvs = await import('../dataplane/proxy/ipvs/index.js');
        const state = ipvs.compileIpvs(model, config);
        process.stdout.write(
          `# ipvsadm-restore\n${ipvs.ipvsadmRestoreText(state)}\n# ipset restore\n${ipvs.ipsetRestoreText(state)}\n` +
            `# iptables-restore --noflush\n${ipvs.ipvsIptablesText(state, config)}\n# ip (kube-ipvs0 addresses)\n` +
            ipvs.addressCommands(state.addresses).map((a) => `ip ${a.join(' ')}`).join('\n') + '\n',
        );
      }
    }));

  proxy
    .command('trace')
    .description('Where a packet goes through iptables-restore rules: endpoints, masquerade, drop, reject')
    .requiredOption('--rules <file>', 'iptables-restore text (e.g. from `skiff proxy compile`)')
    .requiredOption('--src <ip>', 'source address')
    .requiredOption('--dst <ip:port>', 'destination address and port')
    .option('--proto <p>', 'tcp, udp or sctp', 'tcp')
    .option('--hook <h>', 'PREROUTING (arriving) or OUTPUT (sent by the node)', 'PREROUTING')
    .option('--local <ips>', 'addresses the node owns (NodePorts)', ipList)
    .option('--json', 'print the outcomes as JSON')
    .action(guard('proxy', async (o: { rules: string; src: string; dst: string; proto: string; hook: string; local?: string[]; json?: boolean }) => {
      const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(o.dst);
      if (!m || !isIPv4(m[1]!) || Number(m[2]) > 65535) throw new Error(`--dst ${o.dst}: want IP:PORT`);
      if (!isIPv4(o.src)) throw new Error(`--src ${o.src}: not an IPv4 address`);
      if (o.proto !== 'tcp' && o.proto !== 'udp' && o.proto !== 'sctp') throw new Error('--proto: tcp, udp or sctp');
      if (o.hook !== 'PREROUTING' && o.hook !== 'OUTPUT') throw new Error('--hook: PREROUTING or OUTPUT');
      const { trace } = await import('../dataplane/proxy/trace/index.js');
      const r = trace(readFileSync(o.rules, 'utf8'), { src: o.src, dst: m[1]!, dport: Number(m[2]), proto: o.proto }, { hook: o.hook, localAddresses: o.local });
      if (o.json) {
        process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        return;
      }
      if (r.outcomes.length === 0) process.stdout.write('no match: the packet is not a service packet\n');
      for (const out of r.outcomes) {
        const what = out.verdict === 'DNAT' ? `DNAT to ${out.endpoint}` : out.verdict;
        process.stdout.write(
          `${what}  p=${out.probability.toFixed(4)}${out.masquerade ? '  masquerade' : ''}${out.affinity ? `  affinity ${out.affinity}` : ''}  via ${out.chains.join(' > ')}\n`,
        );
      }
    }));
  return proxy;
}
