/**
 * The kubelet's token manager as a value: one TokenRequest per pod binding while the token is fresh, a new one
 * past 80% of its lifetime, the old token kept when a refresh fails before it expires.
 */
import { describe, expect, it } from 'vitest';
import { requiresRefresh, TokenManager } from '../../../../src/dataplane/kubelet/volumes/token-manager.js';
import type { TokenRequest } from '../../../../src/dataplane/kubelet/volumes/payload.js';

const t0 = Date.UTC(2026, 0, 1);
const req: TokenRequest = { namespace: 'shop', serviceAccountName: 'default', audiences: [], expirationSeconds: 3607, boundPod: { name: 'web', uid: 'u-1' } };

describe('token manager', () => {
  it('requiresRefresh: after 80% of the lifetime, after a day, or once expired', () => {
    const t = { token: 'x', expiresAt: new Date(t0 + 1000_000), expirationSeconds: 1000 };
    expect(requiresRefresh(t, new Date(t0 + 800_000))).toBe(false);
    expect(requiresRefresh(t, new Date(t0 + 800_001))).toBe(true);
    expect(requiresRefresh(t, new Date(t0 + 1000_000))).toBe(true);
    const long = { token: 'y', expiresAt: new Date(t0 + 7 * 86400_000), expirationSeconds: 7 * 86400 };
    expect(requiresRefresh(long, new Date(t0 + 86400_000))).toBe(false);
    expect(requiresRefresh(long, new Date(t0 + 86400_001))).toBe(true);
  });

  it('asks TokenRequest bound to the pod, caches, refreshes, and keeps a live token when a refresh fails', async () => {
    let now = t0;
    const calls: Array<{ path: string; body: unknown }> = [];
    let fail = false;
    const post = async <T,>(_m: string, path: string, body: unknown): Promise<T> => {
      calls.push({ path, body });
      if (fail) throw new Error('503 ServiceUnavailable');
      return { spec: { expirationSeconds: 3607 }, status: { token: `tok-${calls.length}`, expirationTimestamp: new Date(now + 3607_000).toISOString() } } as T;
    };
    const m = new TokenManager(post, () => new Date(now));
    expect(await m.token(req)).toBe('tok-1');
    expect(calls[0]).toEqual({
      path: '/api/v1/namespaces/shop/serviceaccounts/default/token',
      body: {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
        spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'u-1' } },
      },
    });
    now = t0 + 2000_000;
    expect(await m.provider(req)).toBe('tok-1');
    expect(calls).toHaveLength(1);
    // Another pod (same name, new uid) is another token.
    expect(await m.token({ ...req, boundPod: { name: 'web', uid: 'u-2' } })).toBe('tok-2');
    now = t0 + 3000_000;
    expect(await m.token(req)).toBe('tok-3');
    now = t0 + 6000_000;
    fail = true;
    expect(await m.token(req)).toBe('tok-3');
    now = t0 + 3000_000 + 3607_000;
    await expect(m.token(req)).rejects.toThrow('failed to fetch token: 503 ServiceUnavailable');
    m.forgetPod('u-2');
    fail = false;
    expect(await m.token({ ...req, boundPod: { name: 'web', uid: 'u-2' } })).toBe(`tok-${calls.length}`);
  });
});
