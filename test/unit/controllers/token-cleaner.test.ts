import { describe, expect, it } from 'vitest';
import { tokenCleanerDecision } from '../../../src/control/controllers/token-cleaner.js';

describe('tokenCleanerDecision', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const secret = (expiration?: string, type = 'bootstrap.kubernetes.io/token') => ({ metadata: { name: 'bootstrap-token-abcdef' }, type, data: expiration === undefined ? {} : { expiration: b64(expiration) } });
  const now = Date.parse('2030-01-01T00:00:00Z');
  it('deletes expired (or unparseable) tokens, rechecks live ones at their expiry, ignores others', () => {
    expect(tokenCleanerDecision(secret('2029-12-31T23:00:00Z'), now)).toEqual({ op: 'delete' });
    expect(tokenCleanerDecision(secret('soon'), now)).toEqual({ op: 'delete' });
    expect(tokenCleanerDecision(secret('2030-01-01T01:00:00Z'), now)).toEqual({ op: 'recheck', afterMs: 3600_000 });
    expect(tokenCleanerDecision(secret(), now)).toEqual({ op: 'none' });
    expect(tokenCleanerDecision(secret('2029-01-01T00:00:00Z', 'Opaque'), now)).toEqual({ op: 'none' });
  });
});
