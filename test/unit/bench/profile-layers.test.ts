import { describe, expect, it } from 'vitest';
import { layerTable, layerTimes, type CpuProfile } from '../../../bench/api/profile-layers.js';

const frame = (functionName: string, url: string) => ({ functionName, url });
/** A profile whose samples land in the given frames for the given µs. */
function profile(samples: [ReturnType<typeof frame>, number][]): CpuProfile {
  return {
    nodes: samples.map(([callFrame], i) => ({ id: i + 1, callFrame })),
    samples: samples.map((_, i) => i + 1),
    timeDeltas: samples.map(([, us]) => us),
  };
}

describe('server CPU per create by layer, from the security part\'s CPU profiles', () => {
  it('puts each sample\'s self time in the first layer its frame matches, leaving idle time and the profiler\'s stop call out', () => {
    const t = layerTimes(profile([
      [frame('writev', ''), 30],
      [frame('decide', 'file:///w/dist/src/control/api/authz/request.js'), 7],
      [frame('admit', 'file:///w/dist/src/control/api/admission/service-account.js'), 3],
      [frame('admit', 'file:///w/dist/src/control/api/admission/chain.js'), 2],
      [frame('validateVolumes', 'file:///w/dist/src/control/api/kinds/strategies/podspec.js'), 4],
      [frame('checkBodyTypes', 'file:///w/dist/src/control/api/validation/decode-types.js'), 5],
      [frame('run', ''), 20],
      [frame('(idle)', ''), 500],
      [frame('dispatch', ''), 90],
      [frame('x', 'file:///w/dist/src/control/api/routes/objects.js'), 1],
    ]));
    expect(Object.fromEntries(t)).toEqual({
      'TLS: encrypt + write (native writev)': 30,
      'authorisation (authz/)': 7,
      'ServiceAccount admission': 3,
      'other admission': 2,
      validation: 4,
      'request body decoding': 5,
      'storage (storage/, sqlite statements, fdatasync)': 20,
      'other project code': 1,
    });
  });

  it('scales each side\'s layers to add up to its measured server CPU per create', () => {
    const plain = profile([[frame('writev', ''), 100], [frame('(garbage collector)', ''), 300]]);
    const secure = profile([[frame('writev', ''), 300], [frame('(garbage collector)', ''), 300], [frame('authorize', 'file:///w/dist/src/control/api/authz/rbac.js'), 150], [frame('(idle)', ''), 1000]]);
    const rows = layerTable({ plain: [plain, plain], secure: [secure] }, { plain: 10, secure: 5 }, { plain: 500, secure: 750 });
    const row = (name: string) => rows.find((r) => r.layer === name)!;
    expect(row('TLS: encrypt + write (native writev)')).toEqual({ layer: 'TLS: encrypt + write (native writev)', plain: 125, secure: 300 });
    expect(row('garbage collector')).toMatchObject({ plain: 375, secure: 300 });
    expect(row('authorisation (authz/)')).toMatchObject({ plain: 0, secure: 150 });
    expect(rows.reduce((a, r) => a + r.plain, 0)).toBeCloseTo(500);
    expect(rows.reduce((a, r) => a + r.secure, 0)).toBeCloseTo(750);
    // Without a thread CPU figure (not Linux): the profiles' time divided by the creates.
    const unscaled = layerTable({ plain: [plain], secure: [secure] }, { plain: 4, secure: 5 }, { plain: NaN, secure: NaN });
    expect(unscaled.find((r) => r.layer === 'garbage collector')).toMatchObject({ plain: 75, secure: 60 });
  });
});
