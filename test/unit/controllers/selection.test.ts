import { describe, expect, test } from 'vitest';
import { selectControllers } from '../../../src/control/controllers/selection.js';
import type { ControllerDescriptor } from '../../../src/control/controllers/controller.js';

const d = (name: string, enabledByDefault = true): ControllerDescriptor => ({ name, enabledByDefault, create: () => ({ name, run: async () => {} }) });
const all = [d('replicaset'), d('deployment'), d('bootstrapsigner', false)];
const names = (spec: string[]) => selectControllers(all, spec).map((c) => c.name);

describe('--controllers', () => {
  test("'*' is every controller enabled by default; '-x' removes one; a name adds a disabled one", () => {
    expect(names([])).toEqual(['replicaset', 'deployment']);
    expect(names(['*', '-deployment'])).toEqual(['replicaset']);
    expect(names(['*', 'bootstrapsigner'])).toEqual(['replicaset', 'deployment', 'bootstrapsigner']);
    expect(names(['deployment'])).toEqual(['deployment']);
  });

  test('an unknown name is an error that lists the known ones', () => {
    expect(() => names(['replicasets'])).toThrow('--controllers: "replicasets" is not a known controller (known: bootstrapsigner, deployment, replicaset)');
  });
});
