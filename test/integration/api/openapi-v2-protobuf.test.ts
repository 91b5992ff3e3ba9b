/**
 * OpenAPI v2 in gnostic's protobuf form, read by kubectl itself: for a kind without a PATCH operation (TokenReview)
 * kubectl validates client-side from /openapi/v2, which it asks for in protobuf only. A valid review is created
 * without --validate=false; an unknown field is refused by kubectl's own validation naming the definition.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_V2_PROTOBUF } from '../../../src/control/api/openapi/v2-protobuf.js';
import { startTestCluster, type TestCluster } from '../../support/cluster.js';

const run = promisify(execFile);
let cluster: TestCluster;
beforeAll(async () => { cluster = await startTestCluster(); });
afterAll(async () => { await cluster?.close(); });

describe('OpenAPI v2 protobuf', () => {
  it('is served to a client that asks only for it', async () => {
    const res = await fetch(`${cluster.url}/openapi/v2`, { headers: { accept: OPENAPI_V2_PROTOBUF } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const body = Buffer.from(await res.arrayBuffer());
    // Field 1 (swagger) first: tag 0x0a, length 3, "2.0".
    expect(body.subarray(0, 5).toString('latin1')).toBe('\x0a\x032.0');
    expect(body.includes(Buffer.from('io.k8s.api.authentication.v1.TokenReviewSpec'))).toBe(true);
    const json = await fetch(`${cluster.url}/openapi/v2`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).toContain('application/json');
  });

  it('kubectl validates a create-only kind from it', async () => {
    const dir = join(cluster.kubeconfig, '..');
    const good = join(dir, 'review.yaml');
    writeFileSync(good, 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: abc\n');
    const { stdout } = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'create', '-f', good, '-o', 'json']);
    expect((JSON.parse(stdout) as { kind: string }).kind).toBe('TokenReview');

    const bad = join(dir, 'bad-review.yaml');
    writeFileSync(bad, 'apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  tokn: abc\n');
    const err = await run('kubectl', ['--kubeconfig', cluster.kubeconfig, 'create', '-f', bad]).then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
    expect(err).toContain('unknown field "tokn" in io.k8s.api.authentication.v1.TokenReviewSpec');
  });
});
