/**
 * The kubeconfigs Skiff writes: `skiff server`'s for its admin and its components, and a node's bootstrap one.
 * Its own module: writing one (as the test clusters do) need not load the whole server.
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
  return configYaml(server, creds?.caPem, {
    user: 'skiff',
    context: 'skiff',
    userLines: creds ? ['  user:', `    client-certificate-data: ${b64(creds.certPem)}`, `    client-key-data: ${b64(creds.keyPem)}`] : ['  user: {}'],
    tail: ['    namespace: default'],
  });
}

/**
 * A kubeconfig that authenticates with a bootstrap token (a node's --bootstrap-kubeconfig), named as kubeadm names
 * its own: user tls-bootstrap-token-user. A token is `[a-z0-9]{6}.[a-z0-9]{16}`, plain in YAML.
 */
export function bootstrapKubeconfigYaml(server: string, caPem: string | undefined, token: string): string {
  return configYaml(server, caPem, { user: 'tls-bootstrap-token-user', context: 'tls-bootstrap-token-user@skiff', userLines: ['  user:', `    token: ${token}`], tail: [] });
}

function configYaml(server: string, caPem: string | undefined, who: { user: string; context: string; userLines: string[]; tail: string[] }): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: skiff',
    '  cluster:',
    `    server: ${server}`,
    // client-node refuses plain http unless TLS verification is explicitly off.
    ...(caPem ? [`    certificate-authority-data: ${b64(caPem)}`] : ['    insecure-skip-tls-verify: true']),
    'users:',
    `- name: ${who.user}`,
    ...who.userLines,
    'contexts:',
    `- name: ${who.context}`,
    '  context:',
    '    cluster: skiff',
    `    user: ${who.user}`,
    ...who.tail,
    `current-context: ${who.context}`,
    'preferences: {}',
    '',
  ].join('\n');
}
