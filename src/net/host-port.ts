/**
 * `host:port` as URLs, Host headers, ipvsadm and Go's net.JoinHostPort write it: an IPv6 address in brackets.
 * Shared by the control plane and the dataplane, which otherwise import nothing of each other.
 */

/** The host as it stands before `:port` or in a URL: `[::1]`, `10.0.0.1`, `example.com`. */
export const bracketHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export const hostPort = (host: string, port: number | string): string => `${bracketHost(host)}:${port}`;
