/**
 * Upstream's long-running request check (watch, proxy, and the exec/attach/portforward/log subresources): such
 * requests hold no seat in the in-flight budgets and get no request timeout. A few string tests, no URL parse.
 */
const STREAMING_SUBRESOURCE = /^\/api(?:s\/[^/]+)?\/[^/]+\/(?:namespaces\/[^/]+\/)?[^/]+\/[^/]+\/(?:exec|attach|portforward|log|proxy)(?:\/|$)/;
const WATCH_PARAM = /[?&]watch=(?:true|1|t|True|TRUE)(?:&|$)/;

export function isLongRunningRequest(method: string, url: string): boolean {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (path.includes('/watch/') || path.includes('/proxy/') || path.endsWith('/proxy')) return true;
  if (q >= 0 && method === 'GET' && WATCH_PARAM.test(url.slice(q))) return true;
  return (method === 'GET' || method === 'POST') && STREAMING_SUBRESOURCE.test(path);
}
