/**
 * `skiff secrets rotate-key | reencrypt`: rotating the key secrets are encrypted with at rest.
 *   skiff secrets rotate-key [--data-dir DIR | --config FILE] [--provider aescbc|aesgcm|secretbox]
 * puts a new key first in the EncryptionConfiguration (older keys stay readable); restart `skiff server`, then
 *   skiff secrets reencrypt [--kubeconfig FILE]
 * rewrites every Secret unchanged, which the server stores with the new first key (as
 * `kubectl get secrets -A -o json | kubectl replace -f -`). Old keys can then be removed from the file.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { guard } from './guard.js';
import type { KeyedProviderType } from '../control/storage/encryption/config.js';

async function rotateKey(o: { dataDir: string; config?: string; provider: KeyedProviderType }): Promise<void> {
  // Loaded here, not at `skiff` start: the other commands and --help skip them.
  const [{ DEFAULT_ENCRYPTION_CONFIG_FILE }, { withNewKey }] = await Promise.all([import('../control/storage/encryption/index.js'), import('../control/storage/encryption/rotate.js')]);
  const file = o.config ?? join(o.dataDir, DEFAULT_ENCRYPTION_CONFIG_FILE);
  const text = readFileSync(file, 'utf8');
  const name = `key-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '')}`;
  writeFileSync(file, withNewKey(text, { type: o.provider, name }, 'secrets', file), { mode: 0o600 });
  process.stdout.write(`added ${o.provider} key ${name} first in ${file}: restart skiff server, then run skiff secrets reencrypt\n`);
}

async function reencrypt(o: { kubeconfig: string }): Promise<void> {
  const [{ loadKubeconfig }, { RestClient }, { reencryptSecrets }] = await Promise.all([import('../client/kubeconfig.js'), import('../client/rest.js'), import('./secrets-reencrypt.js')]);
  const client = new RestClient(loadKubeconfig(o.kubeconfig), { userAgent: 'skiff-secrets' });
  try {
    const { rewritten, skipped } = await reencryptSecrets(client);
    process.stdout.write(`${rewritten} secrets written back (stored again with the first key where an older one held them)${skipped ? `, ${skipped} changed meanwhile` : ''}\n`);
  } finally {
    client.close();
  }
}

export function registerSecretsCommand(program: Command): Command {
  const secrets = program.command('secrets').description('Encryption at rest of secrets: key rotation');
  secrets
    .command('rotate-key')
    .description('Put a new key first in the encryption config (older keys stay readable); restart the server afterwards')
    .option('--data-dir <dir>', 'data directory of skiff server (its encryption-config.yaml)', './.skiff')
    .option('--config <file>', 'the EncryptionConfiguration file instead (as given to --encryption-provider-config)')
    .addOption(new Option('--provider <type>', 'provider of the new key').choices(['aescbc', 'aesgcm', 'secretbox']).default('aescbc'))
    .action(guard('secrets rotate-key', rotateKey));
  secrets
    .command('reencrypt')
    .description('Rewrite every Secret so it is stored with the current first key')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (an administrator\'s)', './.skiff/kubeconfig.yaml')
    .action(guard('secrets reencrypt', reencrypt));
  return secrets;
}
