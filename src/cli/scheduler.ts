/**
 * `skiff scheduler --kubeconfig FILE [--percentage-of-nodes-to-score N] [--core wasm|reference] [--bind-timeout-seconds N]`: runs the
 * scheduler alone against an API server, until SIGINT/SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { CoreKind } from '../control/scheduler/start.js';

function percentage(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 100) throw new InvalidArgumentError('an integer from 0 (adaptive) to 100');
  return n;
}

function positiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive number of seconds');
  return n;
}

function coreKind(v: string): CoreKind {
  if (v !== 'wasm' && v !== 'reference') throw new InvalidArgumentError('wasm or reference');
  return v;
}

export function registerSchedulerCommand(program: Command): Command {
  return program
    .command('scheduler')
    .description('Run the scheduler against an API server')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the API server to schedule for')
    .option('--percentage-of-nodes-to-score <n>', '0 = adaptive (upstream default), 1..100 fixed', percentage, 100)
    .option('--core <core>', 'plugin core: wasm or reference', coreKind, 'wasm' as CoreKind)
    .option('--scheduler-name <name>', 'schedule pods with this spec.schedulerName', 'default-scheduler')
    .option('--bind-timeout-seconds <n>', "VolumeBinding: how long a pod waits for its claims to bind before it is retried (upstream's bindTimeoutSeconds)", positiveSeconds, 600)
    .action(async (o: { kubeconfig: string; percentageOfNodesToScore: number; core: CoreKind; schedulerName: string; bindTimeoutSeconds: number }) => {
      // Loaded here, not at `skiff` start: the other commands and --help skip it.
      const { startScheduler } = await import('../control/scheduler/start.js');
      const running = await startScheduler({
        kubeconfig: o.kubeconfig,
        percentageOfNodesToScore: o.percentageOfNodesToScore,
        core: o.core,
        schedulerName: o.schedulerName,
        bindTimeoutSeconds: o.bindTimeoutSeconds,
        onError: (err, ctx) => console.error(`scheduler: ${ctx}: ${(err as Error).message ?? String(err)}`),
      });
      console.error(`scheduler: ${o.core} core, ${o.percentageOfNodesToScore}% of nodes scored; waiting for caches`);
      void running.ready.then((ok) => ok && console.error('scheduler: caches synced, scheduling'));
      // Clock timers are unref'd, and while the API server is unreachable no socket is open either: this handle
      // keeps the process alive until a signal asks it to stop.
      const keepAlive = setInterval(() => {}, 1 << 30);
      await new Promise<void>((resolve) => {
        const done = (): void => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      clearInterval(keepAlive);
      await running.stop();
    });
}
