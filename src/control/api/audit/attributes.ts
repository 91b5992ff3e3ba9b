/**
 * A request's verb and object for the audit log, read from its method and URL as upstream's RequestInfoFactory
 * does, minimally (authz/request-info.ts is the full reader; the audit hook takes any such function).
 */
import type { RequestAttributes } from './policy.js';

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function auditAttributes(method: string, url: string): RequestAttributes {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  let parts = path.split('/').filter((p) => p !== '');
  const nonResource: RequestAttributes = { verb: method.toLowerCase(), resourceRequest: false, path, apiGroup: '', apiVersion: '', resource: '', subresource: '', namespace: '', name: '' };
  if (parts[0] !== 'api' && parts[0] !== 'apis') return nonResource;
  let apiGroup = '';
  if (parts[0] === 'apis') {
    if (parts.length < 4) return nonResource;
    apiGroup = parts[1]!;
    parts = parts.slice(2);
  } else {
    if (parts.length < 3) return nonResource;
    parts = parts.slice(1);
  }
  const apiVersion = parts.shift()!;
  let verb = METHOD_VERBS[method.toUpperCase()] ?? method.toLowerCase();
  if (parts[0] === 'watch' || parts[0] === 'proxy') {
    verb = parts.shift()!;
  }
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  const resource = parts[0] ?? '';
  const name = parts[1] ?? '';
  const subresource = parts[2] ?? '';
  if (!name && verb === 'get') verb = /(?:^|&)watch=(?:true|1)(?:&|$)/i.test(query) ? 'watch' : 'list';
  if (!name && verb === 'delete') verb = 'deletecollection';
  return { verb, resourceRequest: true, path, apiGroup, apiVersion, resource, subresource, namespace, name };
}
