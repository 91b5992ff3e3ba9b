import { describe, expect, it } from 'vitest';
import * as models from '@kubernetes/client-node/dist/gen/models/all.js';
import { modelAttributes, modelClassNames } from '../../../../src/control/api/schema/model-attributes.js';

const imported = Object.entries(models as unknown as Record<string, { attributeTypeMap?: unknown } | undefined>)
  .filter(([, v]) => Array.isArray(v?.attributeTypeMap)) as Array<[string, { attributeTypeMap: unknown[] }]>;

describe('model attributes read from the package files', () => {
  it('equal the imported classes\' attributeTypeMap, for every model the package exports', () => {
    expect(imported.length).toBeGreaterThan(500);
    for (const [cls, model] of imported) expect(modelAttributes(cls), cls).toEqual(model.attributeTypeMap);
  });

  it('know no class the package does not export (files of older models in the folder included)', () => {
    const known = new Set(imported.map(([cls]) => cls));
    const extra = [...modelClassNames()].filter((cls) => modelAttributes(cls) !== undefined && !known.has(cls));
    expect(extra).toEqual([]);
    expect(modelAttributes('V1ClaimSource')).toBeUndefined();
    expect(modelAttributes('NoSuchModel')).toBeUndefined();
    expect(modelAttributes('../V1Pod')).toBeUndefined();
  });

  it('reads V1Pod as the generator wrote it', () => {
    expect(modelAttributes('V1Pod')?.map((a) => a.baseName)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(modelAttributes('V1Pod')?.find((a) => a.baseName === 'spec')).toEqual({ name: 'spec', baseName: 'spec', type: 'V1PodSpec', format: '' });
  });
});
