/** Encryption at rest: loading the configuration (a file, or the one `skiff server` keeps in its data dir). */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEncryptionConfigYaml, EncryptionConfigError, parseEncryptionConfig, type EncryptionConfig } from './config.js';

export const DEFAULT_ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/** Reads and validates an EncryptionConfiguration file; errors name the file and the field. */
export function loadEncryptionConfig(file: string): EncryptionConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new EncryptionConfigError(file, [`cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseEncryptionConfig(text, file);
}

/**
 * The data dir's own configuration (secrets under a generated AES-CBC key), written on first start with mode
 * 0600 and reused afterwards; the path is returned so a user can add keys to it and rotate.
 */
export function loadOrCreateDefaultEncryptionConfig(dataDir: string): { file: string; config: EncryptionConfig; created: boolean } {
  const file = join(dataDir, DEFAULT_ENCRYPTION_CONFIG_FILE);
  let created = false;
  if (!existsSync(file)) {
    writeFileSync(file, defaultEncryptionConfigYaml(), { mode: 0o600, flag: 'wx' });
    created = true;
  }
  return { file, config: loadEncryptionConfig(file), created };
}

export { EncryptedStore, matchesResource, resourcePrefixOf } from './store.js';
export { TransformError, ResourceTransformer } from './transformer.js';
export { EncryptionConfigError, parseEncryptionConfig, defaultEncryptionConfigYaml, type EncryptionConfig } from './config.js';
