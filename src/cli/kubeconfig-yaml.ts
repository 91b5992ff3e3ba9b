/**
 * The kubeconfig `skiff server` writes for its admin and its components. Its own module: writing one (as the test
 * clusters do) need not load the whole server.
 */
/** PEM of the cluster CA and a client certificate and key, for a kubeconfig's TLS fields. */
export interface KubeconfigCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/**
 * A kubeconfig, context `skiff`, namespace default; kubectl and client-node use it as is. With credentials: the
 * CA to verify the server by and the client certificate to authenticate with; without: plain http.
 */
export function kubeconfigYaml(server: string, creds?: KubeconfigCredentials): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: skiff',
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain http unless TLS verification is explicitly off.
    ...(creds ? [`    certificate-authority-data: ${b64(creds.caPem)}`] : ['    insecure-skip-tls-verify: true']),
    'users:',
    '- name: skiff',
    ...(creds ? ['  user:', `    client-certificate-data: ${b64(creds.certPem)}`, `    client-key-data: ${b64(creds.keyPem)}`] : ['  user: {}']),
    'contexts:',
    '- name: skiff',
    '  context:',
    '    cluster: skiff',
    '    user: skiff',
    '    namespace: default',
    'current-context: skiff',
    'preferences: {}',
    '',
  ].join('\n');
}
