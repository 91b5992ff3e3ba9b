/**
 * What a request asks to do, read from its method and URL as upstream's RequestInfoFactory does:
 * `/api/{version}/...` and `/apis/{group}/{version}/...` are resource requests (namespaced by
 * `namespaces/{ns}/`, a `/watch/` prefix or `?watch=true` making a watch, a GET without a name a list, a DELETE
 * without one a deletecollection); anything else (and bare `/api/v1`, `/apis/apps/v1` discovery) is a
 * non-resource request whose verb is the HTTP method lowercased. Pure: no user, no I/O.
 */
import type { AuthorizationAttributes } from './types.js';

export type RequestInfo = Omit<AuthorizationAttributes, 'user'>;

/** `/{verb}/...` forms; `proxy` takes no subresource (the rest of the path is the proxied one). */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
/** `namespaces/{ns}/{status|finalize}` are subresources of the namespace, not resources inside it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Without a prototype: a method read as a key finds only these. */
const METHOD_VERBS: Record<string, string | undefined> = Object.assign(Object.create(null) as Record<string, string>, {
  POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete',
});

function nonResource(method: string, path: string): RequestInfo {
  return { verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
}

/** A query parameter's first value (decoded), or undefined. */
function queryParam(query: string, key: string): string | undefined {
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const k = eq < 0 ? pair : pair.slice(0, eq);
    if (k !== key) continue;
    const raw = eq < 0 ? '' : pair.slice(eq + 1);
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      return raw;
    }
  }
  return undefined;
}

/** `metadata.name=x` (or `==`) as the only term of a field selector: a list or watch of one named object. */
function exactName(selector: string | undefined): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const m = /^\s*metadata\.name\s*==?\s*(.*?)\s*$/.exec(term);
    if (m) return m[1];
  }
  return undefined;
}

const validPathSegment = (s: string): boolean => s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('%');

/**
 * The request's attributes. `upgrade`: a WebSocket upgrade (exec/attach/portforward over GET), which upstream
 * authorises as `create`, the verb of the same request over SPDY (POST).
 */
export function requestInfo(method: string, url: string, upgrade = false): RequestInfo {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  // The path's non-empty segments, read from index `i` on (no array copied per step: this runs on every request).
  const parts = path.split('/');
  let n = 0;
  for (let j = 0; j < parts.length; j++) if (parts[j] !== '') parts[n++] = parts[j]!;
  parts.length = n;
  if (n < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource(method, path);
  let i = 1;
  let apiGroup = '';
  if (parts[0] === 'apis') {
    if (n < 4) return nonResource(method, path);
    apiGroup = parts[i++]!;
  }
  const apiVersion = parts[i++]!;

  let verb: string;
  let viaMethod = false;
  if (i < n && SPECIAL_VERBS.has(parts[i]!)) {
    // Upstream fails to parse `/watch` alone; treating it as non-resource refuses it the same way.
    if (n - i < 2) return nonResource(method, path);
    verb = parts[i++]!;
  } else {
    viaMethod = true;
    verb = METHOD_VERBS[method] ?? METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  let namespace = '';
  if (parts[i] === 'namespaces' && n - i > 1) {
    namespace = parts[i + 1]!;
    if (n - i > 2 && !NAMESPACE_SUBRESOURCES.has(parts[i + 2]!)) i += 2;
  }
  const resource = parts[i] ?? '';
  let name = parts[i + 1] ?? '';
  const subresource = n - i >= 3 && verb !== 'proxy' ? parts[i + 2]! : '';

  if (name === '' && verb === 'get') {
    const query = q < 0 ? '' : url.slice(q + 1);
    const watch = queryParam(query, 'watch');
    verb = watch !== undefined && !['false', '0'].includes(watch.toLowerCase()) ? 'watch' : 'list';
    const selected = exactName(queryParam(query, 'fieldSelector'));
    if (selected !== undefined && validPathSegment(selected)) name = selected;
  }
  if (name === '' && verb === 'delete') verb = 'deletecollection';
  if (upgrade && viaMethod && verb === 'get' && resource === 'pods' && (subresource === 'exec' || subresource === 'attach' || subresource === 'portforward')) {
    verb = 'create';
  }
  return { verb, resourceRequest: true, path, apiGroup, apiVersion, resource, subresource, namespace, name };
}
