import { describe, expect, test } from 'vitest';
import { resolveServiceEndpoint, type ServiceLookup } from '../../../src/control/api/service-endpoint.js';

const lookup = (objects: Record<string, object>): ServiceLookup => ({
  get: async (plural, ns, name) => objects[`${plural}/${ns}/${name}`] as never,
});
const svc = { spec: { ports: [{ name: 'https', port: 443 }] } };
const eps = (...ips: string[]) => ({ subsets: [{ addresses: ips.map((ip) => ({ ip })), ports: [{ name: 'https', port: 8443 }] }] });

describe('a Service the API server calls itself', () => {
  test('resolves its port by number, then an address of the Endpoints port of that name', async () => {
    const r = await resolveServiceEndpoint(lookup({ 'services/ns/hook': svc, 'endpoints/ns/hook': eps('127.0.0.1') }), 'ns', 'hook', 443);
    expect(r).toEqual({ ip: '127.0.0.1', port: 8443 });
  });

  test('says what is missing as the availability controller does', async () => {
    expect(await resolveServiceEndpoint(lookup({}), 'ns', 'hook', 443)).toMatchObject({ reason: 'ServiceNotFound', message: 'service/hook in "ns" is not present' });
    expect(await resolveServiceEndpoint(lookup({ 'services/ns/hook': svc }), 'ns', 'hook', 80)).toMatchObject({ reason: 'ServicePortError' });
    expect(await resolveServiceEndpoint(lookup({ 'services/ns/hook': svc }), 'ns', 'hook', 443)).toMatchObject({ reason: 'MissingEndpoints' });
  });

  test('skips addresses only the default route would carry (a simulated pod\'s IP), and says so when none is left', async () => {
    const reachable = (ip: string) => ip.startsWith('10.244.0.');
    const objects = lookup({ 'services/ns/hook': svc, 'endpoints/ns/hook': eps('10.244.7.2', '10.244.0.9') });
    expect(await resolveServiceEndpoint(objects, 'ns', 'hook', 443, reachable)).toEqual({ ip: '10.244.0.9', port: 8443 });
    const far = lookup({ 'services/ns/hook': svc, 'endpoints/ns/hook': eps('203.0.113.5') });
    expect(await resolveServiceEndpoint(far, 'ns', 'hook', 443)).toMatchObject({
      reason: 'EndpointsUnreachable',
      message: 'endpoints for service/hook in "ns" are not reachable from the API server (203.0.113.5 is on no network it reaches without its default route)',
    });
  });
});
