import { expect, test, inject } from 'vitest';

test('global setup provides an etcd endpoint string', () => {
  expect(typeof inject('etcdEndpoint')).toBe('string');
});
