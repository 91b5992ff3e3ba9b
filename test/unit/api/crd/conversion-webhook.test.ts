/** The conversion webhook's response checks, as upstream's webhookConverter makes them. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../src/control/api/resource.js';
import {
  checkConverted, conversionReview, convertedObjects, identityChange, restoreMetadata, reviewVersion, WebhookConverter,
} from '../../../../src/control/api/crd/conversion-webhook.js';
import { ApiError } from '../../../../src/control/api/status.js';
import { validateCRD } from '../../../../src/control/api/crd/validation.js';
import { customresourcedefinitions } from '../../../../src/control/api/crd/kind.js';

const obj = (apiVersion: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion, kind: 'Gadget',
  metadata: { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '7', labels: { x: '1' }, annotations: { note: 'n' }, generation: 2 },
  spec: { size: 1 },
  ...extra,
});

const review = (uid: string, response: Record<string, unknown>) => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid, ...response } });

describe('conversionReview', () => {
  it('carries the uid, the desired apiVersion and the objects', () => {
    expect(conversionReview([obj('g/v1')], 'g/v2', 'id')).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: { uid: 'id', desiredAPIVersion: 'g/v2', objects: [obj('g/v1')] },
    });
  });
});

describe('convertedObjects', () => {
  it('returns the converted objects of a Success answer for this uid', () => {
    expect(convertedObjects(review('id', { result: { status: 'Success' }, convertedObjects: [{ a: 1 }] }), 'id')).toEqual([{ a: 1 }]);
  });
  it('refuses another kind of review, a missing response, another uid', () => {
    expect(() => convertedObjects({ apiVersion: 'apiextensions.k8s.io/v1beta1', kind: 'ConversionReview' }, 'id'))
      .toThrow('expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got apiextensions.k8s.io/v1beta1, Kind=ConversionReview');
    expect(() => convertedObjects({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview' }, 'id')).toThrow('no response provided');
    expect(() => convertedObjects(review('other', { result: { status: 'Success' } }), 'id')).toThrow('expected response.uid="id", got "other"');
  });
  it('a failed result gives its message, or the status when it has none', () => {
    expect(() => convertedObjects(review('id', { result: { status: 'Failure', message: 'cannot convert size' } }), 'id')).toThrow(/^cannot convert size$/);
    expect(() => convertedObjects(review('id', { result: { status: 'Failure' } }), 'id')).toThrow("response.result.status was 'Failure', not 'Success'");
    expect(() => convertedObjects(review('id', {}), 'id')).toThrow("response.result.status was '', not 'Success'");
  });
});

describe('checkConverted', () => {
  const original = obj('g/v1');
  it('keeps the original metadata but for labels and annotations, which the webhook may change', () => {
    const answered = { ...obj('g/v2'), spec: { dimension: 1 }, metadata: { name: 'a', namespace: 'ns', uid: 'u1', labels: { x: '2' }, generation: 99 } };
    const out = checkConverted(original, answered, 'g/v2', 0, false) as KubeObject;
    expect(out.apiVersion).toBe('g/v2');
    expect(out['spec']).toEqual({ dimension: 1 });
    // generation and resourceVersion are the original's; annotations dropped by the webhook are gone.
    expect(out.metadata).toEqual({ name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: '7', labels: { x: '2' }, generation: 2 });
  });
  it('refuses another group/version or kind', () => {
    expect(checkConverted(original, obj('g/v1'), 'g/v2', 0, false)).toBe('returned invalid object: invalid groupVersion (expected g/v2, received g/v1)');
    expect(checkConverted(original, { ...obj('g/v2'), kind: 'Other' }, 'g/v2', 3, true)).toBe('returned invalid converted object at index 3: invalid kind (expected Gadget, received Other)');
  });
  it('refuses a changed name, namespace or uid', () => {
    const with_ = (m: Record<string, unknown>) => ({ ...obj('g/v2'), metadata: { ...obj('g/v2').metadata, ...m } });
    expect(checkConverted(original, with_({ name: 'b' }), 'g/v2', 0, false)).toBe('returned invalid object: must have the same name: a != b');
    expect(checkConverted(original, with_({ namespace: 'other' }), 'g/v2', 0, false)).toBe('returned invalid object: must have the same namespace: ns != other');
    expect(checkConverted(original, with_({ uid: 'u2' }), 'g/v2', 1, true)).toBe('returned invalid converted object at index 1: must have the same UID: u1 != u2');
    expect(identityChange(original, obj('g/v2'))).toBeUndefined();
  });
  it('refuses missing metadata and labels that are not strings', () => {
    expect(checkConverted(original, { apiVersion: 'g/v2', kind: 'Gadget' }, 'g/v2', 0, false)).toMatch(/^returned invalid object: must have the same name/);
    const { metadata: _m, ...bare } = obj('g/v2');
    expect(restoreMetadata(original, bare as KubeObject)).toBe('missing metadata in converted object');
    const bad = { ...obj('g/v2'), metadata: { ...obj('g/v2').metadata, labels: { x: 3 } } } as unknown as KubeObject;
    expect(checkConverted(original, bad, 'g/v2', 0, false)).toBe('returned invalid metadata: metadata.labels[x] must be a string, but is number in converted object');
    expect(checkConverted(original, 'text', 'g/v2', 0, false)).toBe('returned invalid object: not an object');
  });
});

describe('WebhookConverter', () => {
  // No listener: any call fails, so a result proves no call was made.
  const converter = (versions = ['v1']) => new WebhookConverter(
    { conversionReviewVersions: versions, clientConfig: { url: 'https://127.0.0.1:1/convert' } }, 'GadgetList', async () => undefined,
  );
  it('makes no call for objects already in the desired version', async () => {
    const objs = [obj('g/v2'), obj('g/v2')];
    expect(await converter().convert(objs, 'g/v2')).toBe(objs);
  });
  it('speaks the first review version it knows; v1beta1 answers are not checked for kind and uid', async () => {
    expect(reviewVersion(['v2', 'v1beta1', 'v1'])).toBe('v1beta1');
    expect(conversionReview([], 'g/v2', 'id', 'v1beta1')['apiVersion']).toBe('apiextensions.k8s.io/v1beta1');
    expect(convertedObjects({ response: { result: { status: 'Success' }, convertedObjects: [1] } }, 'id', 'v1beta1')).toEqual([1]);
  });
  it('needs v1 or v1beta1 among conversionReviewVersions', async () => {
    const err = await converter(['v2']).convert([obj('g/v1')], 'g/v2').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(500);
    expect((err as ApiError).message).toBe('Internal error occurred: no supported conversion review versions');
  });
  it('names a batch by its list kind and a single object by its kind when the call fails', async () => {
    const one = (await converter().convert([obj('g/v1')], 'g/v2').catch((e: unknown) => e)) as ApiError;
    expect(one.message).toMatch(/^Internal error occurred: conversion webhook for g\/v1, Kind=Gadget failed: Post "https:\/\/127\.0\.0\.1:1\/convert\?timeout=30s": /);
    const list = (await converter().convert([obj('g/v2'), obj('g/v1')], 'g/v2', true).catch((e: unknown) => e)) as ApiError;
    expect(list.message).toMatch(/^Internal error occurred: conversion webhook for g\/v1, Kind=GadgetList failed: /);
  });
  it('a Service without a ready endpoint is upstream\'s error', async () => {
    const c = new WebhookConverter({ conversionReviewVersions: ['v1'], clientConfig: { service: { namespace: 'ns', name: 'conv' } } }, 'GadgetList', async () => undefined);
    const err = (await c.convert([obj('g/v1')], 'g/v2').catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe('Internal error occurred: conversion webhook for g/v1, Kind=Gadget failed: no endpoints available for service "conv"');
  });
});

describe('CRD validation of spec.conversion', () => {
  const crd = (conversion: unknown): KubeObject => {
    const c: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.g.example.com' },
      spec: {
        group: 'g.example.com', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
        conversion,
      },
    };
    customresourcedefinitions.strategy.default?.(c);
    return c;
  };
  const errors = (conversion: unknown) => validateCRD(crd(conversion)).filter((e) => e.field.startsWith('spec.conversion')).map((e) => `${e.field}: ${e.message}`);

  it('accepts a url or a Service (its port defaulted to 443) with v1 reviews', () => {
    expect(errors({ strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://127.0.0.1:8443/convert' } } })).toEqual([]);
    const c = crd({ strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { service: { namespace: 'ns', name: 'conv', path: '/convert' } } } });
    expect(validateCRD(c).filter((e) => e.field.startsWith('spec.conversion'))).toEqual([]);
    expect(((c['spec'] as { conversion: { webhook: { clientConfig: { service: { port: number } } } } }).conversion.webhook.clientConfig.service.port)).toBe(443);
  });
  it('refuses what upstream refuses, under the internal field paths', () => {
    expect(errors({ strategy: 'Webhook' })).toEqual([
      'spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook',
      'spec.conversion.conversionReviewVersions: Required value',
    ]);
    expect(errors({ strategy: 'Webhook', webhook: { conversionReviewVersions: ['v3', 'v3'], clientConfig: { url: 'http://h/x', service: { name: 's', namespace: 'n' } } } })).toEqual([
      'spec.conversion.webhookClientConfig: Required value: exactly one of url or service is required',
      'spec.conversion.conversionReviewVersions[1]: Invalid value: "v3": duplicate version',
      'spec.conversion.conversionReviewVersions: Invalid value: []string{"v3", "v3"}: must include at least one of v1, v1beta1',
    ]);
    expect(errors({ strategy: 'Webhook', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'http://h/x' } } })).toEqual([
      'spec.conversion.webhookClientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; desired format: https://host[/path]',
    ]);
    expect(errors({ strategy: 'None', webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: 'https://h/x' } } })).toEqual([
      'spec.conversion.webhookClientConfig: Forbidden: should not be set when strategy is not set to Webhook',
      'spec.conversion.conversionReviewVersions: Forbidden: should not be set when strategy is not set to Webhook',
    ]);
    expect(errors({ strategy: 'Other' })[0]).toMatch(/^spec\.conversion\.strategy: Unsupported value: "Other"/);
  });
});
