/**
 * A real API server on 127.0.0.1 (memory store, bootstrapped as `skiff server` is) and a RestClient to it, for
 * integration tests of components that talk HTTP through src/client: node agents, controllers, the scheduler.
 * Each test file starts its own and closes it; `kubeconfig` is a file kubectl can use.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore } from '../../src/control/storage/memory.js';
import { buildServer, type ApiServer, type ServerOptions } from '../../src/control/api/server.js';
import { bootstrap } from '../../src/control/bootstrap.js';
import { RestClient } from '../../src/client/rest.js';
import { kubeconfigYaml } from '../../src/cli/kubeconfig-yaml.js';

export interface TestCluster {
  server: ApiServer;
  url: string;
  kubeconfig: string;
  client: RestClient;
  /** A new client to the same server (components that close their own). */
  newClient(userAgent?: string): RestClient;
  close(): Promise<void>;
}

export async function startTestCluster(opts: Partial<ServerOptions> = {}): Promise<TestCluster> {
  const store = new MemoryStore();
  const server = await buildServer({ store, compactIntervalMs: 0, namespaceSweepMs: 200, ...opts });
  await server.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await bootstrap(server.engine, { host: '127.0.0.1', port });
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-it-'));
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  writeFileSync(kubeconfig, kubeconfigYaml(url));
  const clients: RestClient[] = [];
  const newClient = (userAgent = 'skiff-test'): RestClient => {
    const c = new RestClient({ server: url }, { userAgent });
    clients.push(c);
    return c;
  };
  return {
    server,
    url,
    kubeconfig,
    client: newClient(),
    newClient,
    async close() {
      for (const c of clients) c.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Types only: the node agent, scheduler and controller manager are imported when a simulated cluster starts, so
// the many files that need only the API server do not load (and pay for) them.
import type { RunningNodeAgent, StartNodeAgentOptions } from '../../src/dataplane/kubelet/start.js';
import type { SimulatedTiming } from '../../src/dataplane/kubelet/runtime/simulated/timing.js';
import type { SimulatedDriverOptions } from '../../src/dataplane/kubelet/runtime/simulated/driver.js';
import type { RunningScheduler } from '../../src/control/scheduler/start.js';
import type { RunningControllerManager, StartControllerManagerOptions } from '../../src/control/controllers/start.js';

export interface SimulatedCluster {
  cluster: TestCluster;
  agent: RunningNodeAgent;
  scheduler: RunningScheduler;
  controllers: RunningControllerManager;
  /** Errors the controllers reported (a test may assert there are none but conflicts). */
  errors: string[];
  close(): Promise<void>;
}

export interface SimulatedClusterOptions {
  server?: Partial<ServerOptions>;
  /** Node spec fields (count, namePrefix, cpu, memory, pods, zones, …) as `skiff nodes --spec` takes them. */
  nodes: Record<string, unknown>;
  timing?: Partial<SimulatedTiming>;
  /** Other options of the simulated runtime (usage window, …). */
  simulated?: Omit<SimulatedDriverOptions, 'timing'>;
  agent?: Partial<Omit<StartNodeAgentOptions, 'client' | 'nodes' | 'driverFactory'>>;
  /** The controller manager's options (controllers, available, options, clock); leader election is off. */
  controllers?: Omit<StartControllerManagerOptions, 'client' | 'leaderElect' | 'onError'>;
}

/**
 * A whole cluster in this process over real HTTP: API server, one agent of simulated nodes, the scheduler (the
 * reference core: no WASM build needed) and the controller manager; ready when all are.
 */
export async function startSimulatedCluster(o: SimulatedClusterOptions): Promise<SimulatedCluster> {
  const [{ startNodeAgent }, { expandNodes, parseNodeSpec }, { simulatedPodDriverFactory }, { startScheduler }, { startControllerManager }] = await Promise.all([
    import('../../src/dataplane/kubelet/start.js'),
    import('../../src/dataplane/kubelet/spec.js'),
    import('../../src/dataplane/kubelet/runtime/simulated/driver.js'),
    import('../../src/control/scheduler/start.js'),
    import('../../src/control/controllers/start.js'),
  ]);
  const cluster = await startTestCluster(o.server);
  const errors: string[] = [];
  const agent = await startNodeAgent({
    client: cluster.newClient('skiff-nodes'),
    nodes: expandNodes(parseNodeSpec(o.nodes)),
    driverFactory: simulatedPodDriverFactory({ ...o.simulated, timing: { sandboxMs: 0, containerStartMs: 0, ...o.timing } }),
    listen: null,
    log: () => {},
    ...o.agent,
  });
  await agent.registered;
  const scheduler = await startScheduler({ client: cluster.newClient('skiff-scheduler'), core: 'reference', onError: () => {} });
  const controllers = await startControllerManager({
    client: cluster.newClient('skiff-controller-manager'),
    leaderElect: false,
    onError: (err, context) => errors.push(`${context}: ${String(err)}`),
    ...o.controllers,
  });
  await controllers.ready;
  await scheduler.ready;
  return {
    cluster,
    agent,
    scheduler,
    controllers,
    errors,
    async close() {
      await controllers.stop();
      await scheduler.stop();
      await agent.stop();
      await cluster.close();
    },
  };
}
