import { describe, expect, it } from 'vitest';
import { schemaToV3 } from '../../../../src/control/api/openapi/v3.js';

describe('schemaToV3', () => {
  it('moves refs to components and wraps a described ref in allOf', () => {
    const out = schemaToV3({
      type: 'object',
      properties: {
        plain: { $ref: '#/definitions/a.B' },
        described: { $ref: '#/definitions/a.C', description: 'why' },
        list: { type: 'array', items: { $ref: '#/definitions/a.D' }, 'x-kubernetes-patch-merge-key': 'name' },
        map: { type: 'object', additionalProperties: { $ref: '#/definitions/a.E' } },
      },
    });
    expect(out.properties!.plain).toEqual({ $ref: '#/components/schemas/a.B' });
    expect(out.properties!.described).toEqual({ description: 'why', allOf: [{ $ref: '#/components/schemas/a.C' }] });
    expect(out.properties!.list).toEqual({ type: 'array', items: { $ref: '#/components/schemas/a.D' }, 'x-kubernetes-patch-merge-key': 'name' });
    expect(out.properties!.map!.additionalProperties).toEqual({ $ref: '#/components/schemas/a.E' });
  });
});
