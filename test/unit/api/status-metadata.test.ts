import { describe, expect, it } from 'vitest';
import { applyStatusMetadata, statusWritableMetadata } from '../../../src/control/api/routes/engine/status-metadata.js';

describe('statusWritableMetadata', () => {
  it('older built-in kinds take labels, annotations, finalizers and ownerReferences', () => {
    expect(statusWritableMetadata({ group: 'networking.k8s.io', kind: 'Ingress' })).toEqual(['labels', 'annotations', 'finalizers', 'ownerReferences']);
    expect(statusWritableMetadata({ group: '', kind: 'Service' })).toEqual(['labels', 'annotations', 'finalizers', 'ownerReferences']);
  });
  it('per-kind resets as upstream: Deployment labels, Pod ownerReferences, CRD most, flowcontrol and custom resources all', () => {
    expect(statusWritableMetadata({ group: 'apps', kind: 'Deployment' })).toEqual(['annotations', 'finalizers', 'ownerReferences']);
    expect(statusWritableMetadata({ group: '', kind: 'Pod' })).toEqual(['labels', 'annotations', 'finalizers']);
    expect(statusWritableMetadata({ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' })).toEqual(['finalizers']);
    expect(statusWritableMetadata({ group: 'flowcontrol.apiserver.k8s.io', kind: 'FlowSchema' })).toEqual([]);
    expect(statusWritableMetadata({ group: 'example.com', kind: 'Widget', custom: true })).toEqual([]);
  });
  it('copies what may change, removing what the request dropped, and leaves the rest', () => {
    const target = { name: 'x', labels: { a: '1' }, annotations: { k: 'v' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u' }] };
    applyStatusMetadata({ group: '', kind: 'Pod' }, target, { name: 'ignored', labels: { b: '2' } });
    expect(target).toEqual({ name: 'x', labels: { b: '2' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u' }] });
  });
});
