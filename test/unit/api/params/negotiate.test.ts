/** Accept negotiation as apimachinery's NegotiateMediaTypeOptions, over the serializers Skiff writes (JSON, YAML, protobuf). */
import { describe, expect, test } from 'vitest';
import { negotiate, parseAccept, streams } from '../../../../src/control/api/content.js';

const all = { table: true };

describe('Accept negotiation', () => {
  test('no header, wildcards and JSON fallbacks after unserved types', () => {
    expect(negotiate(undefined, all)).toEqual({ media: 'json' });
    expect(negotiate('*/*', all)).toEqual({ media: 'json' });
    expect(negotiate('application/*', all)).toEqual({ media: 'json' });
    // client-go's protobuf clients: protobuf, for watches too (length-prefixed frames, protobuf/watch-frame.ts).
    expect(negotiate('application/vnd.kubernetes.protobuf, application/json', all)).toEqual({ media: 'protobuf' });
    expect(negotiate('application/vnd.kubernetes.protobuf, application/json', { ...all, watch: true })).toEqual({ media: 'protobuf' });
    expect(negotiate('application/vnd.kubernetes.protobuf;stream=watch', { ...all, watch: true })).toEqual({ media: 'protobuf' });
    expect(negotiate('application/yaml', all)).toEqual({ media: 'yaml' });
    expect(negotiate('application/json;stream=watch', all)).toEqual({ media: 'json' });
    expect(negotiate('application/json;pretty=1', all)).toEqual({ media: 'json', pretty: true });
  });

  test('unserved types alone are 406 (null)', () => {
    expect(negotiate('text/html', all)).toBeNull();
    expect(negotiate('application/yaml;stream=watch', all)).toBeNull();
    expect(negotiate('application/json;stream=other', all)).toBeNull();
  });

  test('Table v1 and v1beta1 where the kind prints; kubectl\'s list falls back to plain JSON elsewhere', () => {
    const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(negotiate(kubectl, all)).toEqual({ media: 'json', as: { kind: 'Table', version: 'v1' } });
    expect(negotiate('application/json;as=Table;v=v1beta1;g=meta.k8s.io', all)).toEqual({ media: 'json', as: { kind: 'Table', version: 'v1beta1' } });
    expect(negotiate('application/yaml;as=Table;v=v1;g=meta.k8s.io', all)).toEqual({ media: 'yaml', as: { kind: 'Table', version: 'v1' } });
    expect(negotiate(kubectl, { table: false })).toEqual({ media: 'json' });
    // A Table of another group or version, or with no group, is not something the server converts to.
    expect(negotiate('application/json;as=Table;v=v2;g=meta.k8s.io', all)).toBeNull();
    expect(negotiate('application/json;as=Table', all)).toBeNull();
    expect(negotiate('application/json;as=Pod;v=v1;g=meta.k8s.io', all)).toBeNull();
  });

  test('PartialObjectMetadata and PartialObjectMetadataList (client-go\'s metadata client headers)', () => {
    const list = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
    expect(negotiate(list, { table: false })).toEqual({ media: 'json', as: { kind: 'PartialObjectMetadataList', version: 'v1' } });
    expect(negotiate('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1', all))
      .toEqual({ media: 'json', as: { kind: 'PartialObjectMetadata', version: 'v1beta1' } });
  });

  test('q-values and specificity order the clauses', () => {
    expect(negotiate('application/json;q=0.5, application/yaml', all)).toEqual({ media: 'yaml' });
    expect(parseAccept('*/*, application/yaml, application/*;q=0.9').map((c) => `${c.type}/${c.subtype}`))
      .toEqual(['application/yaml', '*/*', 'application/*']);
  });

  test('only JSON frames a watch stream', () => {
    expect(streams({ media: 'json' })).toBe(true);
    expect(streams({ media: 'yaml' })).toBe(false);
  });
});

describe('negotiation remembered per Accept header and endpoint', () => {
  test('the same header answers per endpoint, and a caller changing its copy changes no later answer', () => {
    const kubectl = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    for (let i = 0; i < 3; i++) {
      expect(negotiate(kubectl, { table: true })).toEqual({ media: 'json', as: { kind: 'Table', version: 'v1' } });
      expect(negotiate(kubectl, { table: false })).toEqual({ media: 'json' });
      expect(negotiate('application/yaml', { table: true, watch: true })).toBeNull();
      expect(negotiate('application/yaml', { table: true })).toEqual({ media: 'yaml' });
      const f = negotiate('application/json', { table: true })!;
      expect(f).toEqual({ media: 'json' });
      f.pretty = true;
    }
  });
});
