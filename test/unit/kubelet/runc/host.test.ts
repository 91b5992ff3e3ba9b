import { describe, expect, it } from 'vitest';
import { capabilitiesFromMask, currentCapabilities } from '../../../../src/dataplane/kubelet/runtime/runc/host.js';
import { ALL_CAPABILITIES, capabilitySet } from '../../../../src/dataplane/kubelet/runtime/runc/oci-spec.js';

describe('host capabilities', () => {
  it('reads a /proc status mask by capability number', () => {
    expect(capabilitiesFromMask('0000000000000001')).toEqual(['CAP_CHOWN']);
    expect(capabilitiesFromMask('000001ffffffffff')).toEqual(ALL_CAPABILITIES);
    // bit 24 (CAP_SYS_RESOURCE) missing, as in a restricted sandbox
    const caps = capabilitiesFromMask('000001fffeffffff');
    expect(caps).not.toContain('CAP_SYS_RESOURCE');
    expect(caps).toHaveLength(40);
    expect(currentCapabilities('Name:\tx\nCapBnd:\t0000000000000401\n')).toEqual(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE']);
    expect(currentCapabilities('no caps here')).toEqual(ALL_CAPABILITIES);
  });

  it('privileged and add ALL grant what the runtime holds', () => {
    const held = ['CAP_CHOWN', 'CAP_KILL'];
    expect(capabilitySet({ privileged: true }, held)).toEqual(held);
    expect(capabilitySet({ capabilities: { add: ['ALL'], drop: ['KILL'] } }, held)).toEqual(['CAP_CHOWN']);
  });
});
