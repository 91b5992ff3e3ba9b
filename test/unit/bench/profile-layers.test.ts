import { describe, expect, it } from 'vitest';
import { layerTable, layerTimes, UNSAMPLED, type CpuProfile } from '../../../bench/api/profile-layers.js';

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

  it('scales a side down to its measured server CPU per create when the samples add up to more (a stretched thread)', () => {
    const plain = profile([[frame('writev', ''), 100], [frame('(garbage collector)', ''), 300]]);
    const rows = layerTable({ plain: [plain, plain], secure: [plain] }, { plain: 10, secure: 4 }, { plain: 40, secure: 100 });
    const row = (name: string) => rows.find((r) => r.layer === name)!;
    // plain: 800 µs sampled over 10 creates = 80 a create, measured 40: halved.
    expect(row('TLS: encrypt + write (native writev)').plain).toBeCloseTo(10);
    expect(row('garbage collector').plain).toBeCloseTo(30);
    expect(row(UNSAMPLED).plain).toBe(0);
    // secure: 400 sampled over 4 = 100 a create, as measured: as sampled, nothing unseen.
    expect(row('garbage collector').secure).toBeCloseTo(75);
    expect(row(UNSAMPLED).secure).toBe(0);
  });

  it('shows the CPU the samples fall short of as a row of its own, not spread over the layers', () => {
    const secure = profile([[frame('writev', ''), 300], [frame('authorize', 'file:///w/dist/src/control/api/authz/rbac.js'), 150], [frame('(idle)', ''), 1000]]);
    const rows = layerTable({ plain: [], secure: [secure] }, { plain: 1, secure: 5 }, { plain: 0, secure: 110 });
    const row = (name: string) => rows.find((r) => r.layer === name)!;
    // 450 µs sampled over 5 creates = 90 a create; measured 110: 20 unseen, the layers as sampled.
    expect(row('TLS: encrypt + write (native writev)').secure).toBeCloseTo(60);
    expect(row('authorisation (authz/)').secure).toBeCloseTo(30);
    expect(row(UNSAMPLED).secure).toBeCloseTo(20);
    expect(rows.reduce((a, r) => a + r.secure, 0)).toBeCloseTo(110);
    // Without a thread CPU figure (not Linux): the profiles' time divided by the creates.
    const unscaled = layerTable({ plain: [], secure: [secure] }, { plain: 1, secure: 5 }, { plain: NaN, secure: NaN });
    expect(unscaled.find((r) => r.layer === 'authorisation (authz/)')).toMatchObject({ secure: 30 });
    expect(unscaled.find((r) => r.layer === UNSAMPLED)).toMatchObject({ secure: 0 });
  });
});
