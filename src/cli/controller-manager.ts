/**
 * `skiff controller-manager --kubeconfig FILE [--controllers a,b,-c] [--leader-elect=false]`: runs the
 * controllers alone against an API server (also a stock one), until SIGINT/SIGTERM. /metrics and /healthz are
 * served on --listen (upstream's port 10257, plain http here).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import type { ControllerDescriptor } from '../control/controllers/controller.js';
import { selectControllers } from '../control/controllers/selection.js';
import { DEFAULT_LOCAL_PATH_DIR } from '../control/controllers/persistentvolume/local-path-volume.js';
import { parseListen } from './server.js';
import { parseGoDuration } from '../control/api/metrics/format.js';

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * The controllers' registry (~0.5 s of modules), loaded when `controller-manager` is dispatched, before its flags
 * are parsed: `skiff --help` and the other commands skip it.
 */
let registry: readonly ControllerDescriptor[] = [];

/** --controllers, checked against the known names before anything starts. */
function controllerList(v: string): string[] {
  const names = list(v);
  try {
    selectControllers(registry, names);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--controllers: /, ''));
  }
  return names;
}

/** --cluster-signing-duration: a Go duration of at least ten minutes. */
function signingDuration(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === null || ms < 600_000) throw new InvalidArgumentError('a duration of at least 10m, such as 8760h');
  return ms;
}

function bool(v: string): boolean {
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new InvalidArgumentError('true or false');
}

export function registerControllerManagerCommand(program: Command): Command {
  const command = program.command('controller-manager');
  program.hook('preSubcommand', async (_program, sub) => {
    if (sub === command) registry = (await import('../control/controllers/index.js')).CONTROLLERS;
  });
  return command
    .description('Run the controllers (kube-controller-manager) against an API server')
    .requiredOption('--kubeconfig <file>', 'kubeconfig of the API server')
    .option('--controllers <list>', "controllers to run: names, '*' for the defaults, '-name' to leave one out", controllerList, ['*'])
    .option('--leader-elect <bool>', 'take the kube-system/kube-controller-manager Lease before acting', bool, true)
    .option('--cluster-cidr <cidr>', "pods' range, carved into node podCIDRs", '10.244.0.0/16')
    .option('--node-cidr-mask-size <n>', 'prefix length of each node podCIDR', (v: string) => Number(v), 24)
    .option('--listen <host:port>', 'serve /metrics and /healthz here', parseListen, { host: '127.0.0.1', port: 10257 })
    .option('--local-path-dir <dir>', 'where the local-path provisioner makes volumes (skiff server: <data-dir>/local-path)', DEFAULT_LOCAL_PATH_DIR)
    .option('--cluster-signing-cert-file <file>', 'the CA certificate (PEM) csrsigning signs kubernetes.io/* certificate requests with (skiff server: <data-dir>/ca.crt)')
    .option('--cluster-signing-key-file <file>', 'that CA\'s private key (PEM) (skiff server: <data-dir>/ca.key)')
    .option('--cluster-signing-duration <duration>', 'the longest certificate csrsigning signs (a request\'s expirationSeconds may ask for less)', signingDuration, 365 * 24 * 3600_000)
    .option('--root-ca-file <file>', 'the cluster CA (PEM) published as kube-root-ca.crt in every namespace (skiff server: <data-dir>/ca.crt)')
    .action(async (o: { kubeconfig: string; controllers: string[]; leaderElect: boolean; clusterCidr: string; nodeCidrMaskSize: number; listen: { host: string; port: number }; rootCaFile?: string; localPathDir: string; clusterSigningCertFile?: string; clusterSigningKeyFile?: string; clusterSigningDuration: number }, cmd: Command) => {
      if (!o.clusterSigningCertFile !== !o.clusterSigningKeyFile) return cmd.error('error: --cluster-signing-cert-file and --cluster-signing-key-file go together');
      let rootCA: string | undefined;
      try {
        rootCA = o.rootCaFile ? readFileSync(o.rootCaFile, 'utf8') : undefined;
      } catch (err) {
        return cmd.error(`error: --root-ca-file: cannot read ${o.rootCaFile}: ${(err as Error).message}`);
      }
      if (rootCA !== undefined && !rootCA.includes('-----BEGIN CERTIFICATE-----')) return cmd.error(`error: --root-ca-file: ${o.rootCaFile} holds no PEM certificate`);
      const { startControllerManager } = await import('../control/controllers/start.js');
      const running = await startControllerManager({
        kubeconfig: o.kubeconfig,
        controllers: o.controllers,
        leaderElect: o.leaderElect,
        options: { clusterCIDR: o.clusterCidr, nodeCIDRMaskSize: o.nodeCidrMaskSize, localPathDir: o.localPathDir, ...(rootCA ? { rootCA } : {}), ...(o.clusterSigningCertFile ? { clusterSigningCertFile: o.clusterSigningCertFile, clusterSigningKeyFile: o.clusterSigningKeyFile } : {}), clusterSigningDurationMs: o.clusterSigningDuration },
        metricsListen: o.listen,
        onError: (err, ctx) => console.error(`controller-manager: ${ctx}: ${(err as Error).message ?? String(err)}`),
      });
      console.error(`controller-manager: ${running.controllers.join(', ') || 'no controllers'}; metrics on ${running.metricsUrl}; waiting for leadership and caches`);
      void running.ready.then((ok) => ok && console.error('controller-manager: leading, caches synced'));
      const keepAlive = setInterval(() => {}, 1 << 30);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(keepAlive);
      await running.stop();
    });
}
