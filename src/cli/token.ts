/**
 * `skiff token create | generate` (as `kubeadm token`): bootstrap tokens for joining nodes.
 *   skiff token create [--kubeconfig FILE] [--ttl 24h] [--groups G,...] [--usages signing,authentication]
 *                      [--description TEXT] [--bootstrap-kubeconfig OUT] [TOKEN]
 * stores the Secret kube-system/bootstrap-token-<id> and prints the token; with --bootstrap-kubeconfig it also
 * writes a kubeconfig for `skiff agent|nodes --bootstrap-kubeconfig` (the server and CA of --kubeconfig, the token).
 * `skiff token generate` prints a new token without storing anything.
 */
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { guard } from './guard.js';
import { bootstrapKubeconfigYaml } from './kubeconfig-yaml.js';
import { parseGoDuration } from '../control/api/metrics/format.js';

function ttl(v: string): number {
  const ms = parseGoDuration(v);
  if (ms === null || ms < 0) throw new InvalidArgumentError('a duration such as 24h, 30m or 0 (never expires)');
  return ms;
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

interface CreateFlags {
  kubeconfig: string;
  ttl: number;
  groups: string[];
  usages: string[];
  description?: string;
  bootstrapKubeconfig?: string;
}

async function create(token: string | undefined, o: CreateFlags): Promise<void> {
  // Loaded here, not at `skiff` start: the other commands and --help skip them.
  const [{ loadKubeconfig }, { RestClient }, { Secrets }, { bootstrapTokenSecret, generateBootstrapToken }] = await Promise.all([
    import('../client/kubeconfig.js'), import('../client/rest.js'), import('../client/resources.js'), import('../control/api/auth/bootstrap-token-secret.js'),
  ]);
  const value = token ?? generateBootstrapToken();
  const secret = bootstrapTokenSecret(value, { ttlMs: o.ttl, now: new Date(), usages: o.usages, groups: o.groups, ...(o.description ? { description: o.description } : {}) });
  const config = loadKubeconfig(o.kubeconfig);
  const client = new RestClient(config, { userAgent: 'skiff-token' });
  try {
    await client.create(Secrets, secret);
  } finally {
    client.close();
  }
  if (o.bootstrapKubeconfig) writeFileSync(o.bootstrapKubeconfig, bootstrapKubeconfigYaml(config.server, config.caData, value), { mode: 0o600 });
  process.stdout.write(`${value}\n`);
}

export function registerTokenCommand(program: Command): Command {
  const token = program.command('token').description('Bootstrap tokens for joining nodes (as kubeadm token)');
  token
    .command('create [token]')
    .description('Store a bootstrap token (a new one unless given) and print it')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (an administrator\'s)', './.skiff/kubeconfig.yaml')
    .option('--ttl <duration>', 'how long the token is valid; 0 never expires', ttl, 24 * 3600_000)
    .option('--groups <list>', 'extra groups the token authenticates with (system:bootstrappers:...)', list, ['system:bootstrappers:kubeadm:default-node-token'])
    .option('--usages <list>', 'what the token may be used for: signing, authentication', list, ['signing', 'authentication'])
    .option('--description <text>', 'a human-readable description of the token')
    .option('--bootstrap-kubeconfig <file>', 'also write a kubeconfig with this token for `skiff agent|nodes --bootstrap-kubeconfig`')
    .action(guard('token create', create));
  token
    .command('generate')
    .description('Print a new random bootstrap token without storing it')
    .action(async () => {
      const { generateBootstrapToken } = await import('../control/api/auth/bootstrap-token-secret.js');
      process.stdout.write(`${generateBootstrapToken()}\n`);
    });
  return token;
}
