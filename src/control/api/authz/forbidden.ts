/**
 * The 403 a refused request gets, worded as upstream's responsewriters.Forbidden: who cannot do what, where
 * (`in the namespace "x"` or `at the cluster scope`; a path for non-resource requests), then the authorisers'
 * reason if any; details name the resource, its group and the object.
 */
import { ApiError } from '../status.js';
import type { AuthorizationAttributes } from './types.js';

export function forbiddenMessage(a: AuthorizationAttributes): string {
  const user = JSON.stringify(a.user.name);
  if (!a.resourceRequest) return `User ${user} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${user} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

export function forbiddenError(a: AuthorizationAttributes, reason: string): ApiError {
  // Upstream escapes HTML in the message (it may name a path the client chose).
  const text = forbiddenMessage(a).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const msg = reason ? `${text}: ${reason}` : text;
  const resource = a.resourceRequest ? a.resource : '';
  const group = a.resourceRequest ? a.apiGroup : '';
  const qualified = group ? `${resource}.${group}` : resource;
  const what = resource === '' ? '' : a.name ? `${qualified} "${a.name}" is ` : `${qualified} is `;
  const details: { name?: string; group?: string; kind?: string } = {};
  if (a.resourceRequest && a.name) details.name = a.name;
  if (group) details.group = group;
  if (resource) details.kind = resource;
  return new ApiError(403, 'Forbidden', `${what}forbidden: ${msg}`, details);
}
