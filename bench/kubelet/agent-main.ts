/**
 * The benchmark's node agent, a process of its own so that its CPU and memory are read from /proc alone: one
 * runc node (startRuncNode, as `skiff agent --runtime runc` runs it) with a caller-chosen prefix, so its network
 * namespaces, runc ids and cgroups are named `skiff-t-<run>-…` (the CLI has no prefix flag: it is not a user knob).
 *
 *   node dist/bench/kubelet/agent-main.js '{"server":…,"nodeName":…,"dataDir":…,"prefix":…,"podCIDR":…}'
 *
 * Prints `pid <pid>` at once, `registered` on stdout once the Node is (and, with trace, the pod workers' timing lines); SIGTERM/SIGINT stop it (containers stay, as the agent's).
 */
import { startRuncNode } from '../../src/dataplane/kubelet/runtime/runc/start.js';

export interface BenchAgentConfig {
  server: string;
  nodeName: string;
  dataDir: string;
  prefix: string;
  podCIDR: string;
  pollMs?: number;
  /** Print the pod worker's timing lines ('pod sandbox up', 'container started') on stdout as `trace <json>`. */
  trace?: boolean;
}

function parse(text: string | undefined): BenchAgentConfig {
  const c = JSON.parse(text ?? '{}') as Partial<BenchAgentConfig>;
  for (const k of ['server', 'nodeName', 'dataDir', 'prefix', 'podCIDR'] as const) {
    if (typeof c[k] !== 'string' || !c[k]) throw new Error(`agent-main: ${k} must be a non-empty string`);
  }
  if (!c.prefix!.startsWith('skiff-t-')) throw new Error(`agent-main: prefix ${JSON.stringify(c.prefix)} must start with skiff-t-`);
  return c as BenchAgentConfig;
}

async function main(): Promise<void> {
  const c = parse(process.argv[2]);
  // Its own pid first: under strace (--exec-trace) the bench's child is strace, not this process.
  process.stdout.write(`pid ${process.pid}\n`);
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  const node = await startRuncNode({
    client: { server: c.server },
    nodeName: c.nodeName,
    dataDir: c.dataDir,
    prefix: c.prefix,
    podCIDR: c.podCIDR,
    cpu: '2',
    memory: '4Gi',
    pods: 110,
    ...(c.pollMs !== undefined ? { pollMs: c.pollMs } : {}),
    log: (level, msg, fields) => {
      if (c.trace && (msg === 'pod sandbox up' || msg === 'container started')) process.stdout.write(`trace ${JSON.stringify({ at: Date.now(), msg, ...fields })}\n`);
      if (level === 'warn' || level === 'error') console.error(`agent ${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
    },
  });
  await node.registered;
  process.stdout.write('registered\n');
  await stop;
  await node.stop();
}

main().catch((err: unknown) => {
  console.error(`agent-main: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
