import { describe, expect, it } from 'vitest';
import { requestInfo } from '../../../../src/control/api/authz/request-info.js';

const pick = (method: string, url: string, upgrade = false) => {
  const r = requestInfo(method, url, upgrade);
  return { verb: r.verb, resourceRequest: r.resourceRequest, apiGroup: r.apiGroup, apiVersion: r.apiVersion, resource: r.resource, subresource: r.subresource, namespace: r.namespace, name: r.name };
};

describe('requestInfo (upstream RequestInfoFactory)', () => {
  it('reads verbs from the method, name and query', () => {
    expect(pick('GET', '/api/v1/namespaces/default/pods')).toMatchObject({ verb: 'list', resource: 'pods', namespace: 'default', name: '', apiGroup: '', apiVersion: 'v1' });
    expect(pick('GET', '/api/v1/namespaces/default/pods/p1')).toMatchObject({ verb: 'get', name: 'p1' });
    expect(pick('GET', '/api/v1/pods?watch=true')).toMatchObject({ verb: 'watch', namespace: '' });
    expect(pick('GET', '/api/v1/pods?watch=1&resourceVersion=5')).toMatchObject({ verb: 'watch' });
    expect(pick('GET', '/api/v1/pods?watch=false')).toMatchObject({ verb: 'list' });
    expect(pick('GET', '/api/v1/watch/namespaces/ns/pods/p1')).toMatchObject({ verb: 'watch', namespace: 'ns', name: 'p1' });
    expect(pick('POST', '/apis/apps/v1/namespaces/ns/deployments')).toMatchObject({ verb: 'create', apiGroup: 'apps', resource: 'deployments' });
    expect(pick('PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale')).toMatchObject({ verb: 'update', name: 'd', subresource: 'scale' });
    expect(pick('PATCH', '/api/v1/nodes/n1/status')).toMatchObject({ verb: 'patch', resource: 'nodes', name: 'n1', subresource: 'status', namespace: '' });
    expect(pick('DELETE', '/api/v1/namespaces/ns/pods/p')).toMatchObject({ verb: 'delete', name: 'p' });
    expect(pick('DELETE', '/api/v1/namespaces/ns/pods')).toMatchObject({ verb: 'deletecollection' });
  });

  it('names the object a field selector pins', () => {
    expect(pick('GET', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dweb')).toMatchObject({ verb: 'list', name: 'web' });
    expect(pick('GET', '/api/v1/nodes?watch=true&fieldSelector=metadata.name%3D%3Dn1')).toMatchObject({ verb: 'watch', name: 'n1' });
  });

  it('treats namespaces as a resource with status and finalize subresources', () => {
    expect(pick('GET', '/api/v1/namespaces')).toMatchObject({ verb: 'list', resource: 'namespaces', namespace: '' });
    expect(pick('GET', '/api/v1/namespaces/ns1')).toMatchObject({ verb: 'get', resource: 'namespaces', name: 'ns1', namespace: 'ns1' });
    expect(pick('PUT', '/api/v1/namespaces/ns1/finalize')).toMatchObject({ verb: 'update', resource: 'namespaces', name: 'ns1', subresource: 'finalize' });
    expect(pick('PUT', '/api/v1/namespaces/ns1/status')).toMatchObject({ resource: 'namespaces', subresource: 'status' });
  });

  it('proxy takes no subresource; exec over a WebSocket is create', () => {
    expect(pick('GET', '/api/v1/proxy/namespaces/ns/services/s/some/path')).toMatchObject({ verb: 'proxy', resource: 'services', name: 's', subresource: '' });
    expect(pick('GET', '/api/v1/namespaces/ns/pods/p/exec?command=ls', true)).toMatchObject({ verb: 'create', subresource: 'exec' });
    expect(pick('POST', '/api/v1/namespaces/ns/pods/p/exec')).toMatchObject({ verb: 'create' });
    expect(pick('GET', '/api/v1/namespaces/ns/pods/p/log')).toMatchObject({ verb: 'get', subresource: 'log' });
  });

  it('non-resource paths, discovery included, keep the HTTP verb', () => {
    for (const p of ['/healthz', '/version', '/api', '/api/v1', '/apis', '/apis/apps', '/apis/apps/v1', '/openapi/v2']) {
      const r = requestInfo('GET', p);
      expect(r.resourceRequest, p).toBe(false);
      expect(r.verb).toBe('get');
      expect(r.path).toBe(p);
    }
    expect(requestInfo('POST', '/healthz?x=1')).toMatchObject({ verb: 'post', path: '/healthz' });
  });

  it('skips empty path segments and reads only known methods as verbs', () => {
    expect(pick('GET', '/api//v1/namespaces/ns//pods/')).toMatchObject({ verb: 'list', resource: 'pods', namespace: 'ns', name: '' });
    expect(pick('PATCH', '/apis/apps/v1/namespaces/ns/deployments/d/status/')).toMatchObject({ verb: 'patch', name: 'd', subresource: 'status' });
    expect(pick('PUT', '/api/v1/watch')).toMatchObject({ resourceRequest: false, verb: 'put' });
    expect(pick('toString', '/api/v1/namespaces/ns/pods/p')).toMatchObject({ verb: '', resource: 'pods', name: 'p' });
    expect(pick('constructor', '/api/v1/nodes/n')).toMatchObject({ verb: '', resource: 'nodes', name: 'n' });
  });
});
