/**
 * Reads a kubeconfig (the file kubectl uses) into what the REST client needs: the server URL of the current
 * context's cluster and its user's credentials: a bearer token (or token file), the CA and client certificate
 * and key (inline `*-data` or files), insecure-skip-tls-verify. The REST client hands the TLS fields to its
 * HTTPS connections.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ClientConfig {
  /** e.g. `http://127.0.0.1:6443`. */
  server: string;
  namespace?: string;
  token?: string;
  /** PEM text (decoded from the *-data fields, or read from the referenced files). */
  caData?: string;
  certData?: string;
  keyData?: string;
  insecureSkipTLSVerify?: boolean;
  /** The kubeconfig file this came from (loadKubeconfig): read again for a renewed client certificate. */
  source?: string;
}

interface Named<T> {
  name?: string;
  [k: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Dict = Record<string, unknown>;

export class KubeconfigError extends Error {
  constructor(file: string, message: string) {
    super(`kubeconfig ${file}: ${message}`);
    this.name = 'KubeconfigError';
  }
}

function str(d: Dict | undefined, key: string): string | undefined {
  const v = d?.[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** A file a kubeconfig names: relative paths are relative to the kubeconfig's own directory, as kubectl reads them. */
function filePath(file: string, baseDir: string | undefined): string {
  return baseDir && !isAbsolute(file) ? resolve(baseDir, file) : file;
}

function pem(d: Dict | undefined, dataKey: string, fileKey: string, baseDir: string | undefined, source: string): string | undefined {
  const data = str(d, dataKey);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const file = str(d, fileKey);
  if (!file) return undefined;
  try {
    return readFileSync(filePath(file, baseDir), 'utf8');
  } catch (e) {
    throw new KubeconfigError(source, `${fileKey} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message}`);
  }
}

/** Parses kubeconfig text; `source` names the file in errors. */
export function parseKubeconfig(text: string, source = '<inline>', contextName?: string, baseDir?: string): ClientConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new KubeconfigError(source, `not valid YAML: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object') throw new KubeconfigError(source, 'empty or not a mapping');
  const root = doc as Dict;
  const list = (k: string): Named<Dict>[] => (Array.isArray(root[k]) ? (root[k] as Named<Dict>[]) : []);
  const want = contextName ?? str(root, 'current-context');
  const contexts = list('contexts');
  const ctx = want ? contexts.find((c) => c.name === want) : contexts.length === 1 ? contexts[0] : undefined;
  if (want && !ctx) throw new KubeconfigError(source, `context "${want}" not found`);
  const clusters = list('clusters');
  const users = list('users');
  const clusterName = str(ctx?.context, 'cluster');
  const cluster = clusterName ? clusters.find((c) => c.name === clusterName) : clusters.length === 1 ? clusters[0] : undefined;
  if (!cluster?.cluster) throw new KubeconfigError(source, clusterName ? `cluster "${clusterName}" not found` : 'no cluster');
  const server = str(cluster.cluster, 'server');
  if (!server) throw new KubeconfigError(source, `cluster "${cluster.name ?? ''}" has no server`);
  try {
    new URL(server);
  } catch {
    throw new KubeconfigError(source, `cluster server "${server}" is not a URL`);
  }
  const userName = str(ctx?.context, 'user');
  const user = userName ? users.find((u) => u.name === userName)?.user : undefined;
  if (userName && !user) throw new KubeconfigError(source, `user "${userName}" not found`);
  return {
    server: server.replace(/\/+$/, ''),
    namespace: str(ctx?.context, 'namespace'),
    token: str(user, 'token') ?? (str(user, 'tokenFile') ? readFileSync(filePath(str(user, 'tokenFile')!, baseDir), 'utf8').trim() : undefined),
    caData: pem(cluster.cluster, 'certificate-authority-data', 'certificate-authority', baseDir, source),
    certData: pem(user, 'client-certificate-data', 'client-certificate', baseDir, source),
    keyData: pem(user, 'client-key-data', 'client-key', baseDir, source),
    insecureSkipTLSVerify: cluster.cluster['insecure-skip-tls-verify'] === true,
  };
}

export function loadKubeconfig(file: string, contextName?: string): ClientConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KubeconfigError(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message);
  }
  return { ...parseKubeconfig(text, file, contextName, dirname(resolve(file))), source: resolve(file) };
}
