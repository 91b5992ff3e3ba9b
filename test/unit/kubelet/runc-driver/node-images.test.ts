import { afterEach, describe, expect, it } from 'vitest';
import type { StoredImage } from '../../../../src/dataplane/kubelet/images/types.js';
import { nodeImages } from '../../../../src/dataplane/kubelet/runtime/runc/node-images.js';
import { Harness } from './fakes.js';

const img = (name: string, sizeBytes: number, names: string[] = [name]): StoredImage => ({
  ref: name,
  imageID: `${name.split(':')[0]}@sha256:${'c'.repeat(64)}`,
  names,
  config: { entrypoint: [], cmd: [], env: [], workingDir: '', user: '' },
  layers: [],
  sizeBytes,
});

describe('nodeImages (node.status.images)', () => {
  it('biggest first, at most 50, each with its digest then its tags, at most 5 names', () => {
    const many = Array.from({ length: 60 }, (_, i) => img(`r/i${i}:1`, i));
    const out = nodeImages(many);
    expect(out).toHaveLength(50);
    expect(out[0]).toEqual({ names: [`r/i59@sha256:${'c'.repeat(64)}`, 'r/i59:1'], sizeBytes: 59 });
    expect(out[49]!.sizeBytes).toBe(10);
    const tagged = nodeImages([img('r/a:1', 1, ['r/a:1', 'r/a:2', 'r/a:3', 'r/a:4', 'r/a:5', 'r/a:6'])]);
    expect(tagged[0]!.names).toEqual([`r/a@sha256:${'c'.repeat(64)}`, 'r/a:1', 'r/a:2', 'r/a:3', 'r/a:4']);
  });
});

describe('RuncPodDriver.images()', () => {
  let h: Harness;
  afterEach(async () => {
    await h?.driver.close();
    h?.cleanup();
  });

  it('answers from the image store after start-up and re-reads it on the usage cadence, telling the agent of a change', async () => {
    h = new Harness({ usageIntervalMs: 10_000 });
    let stored = [img('r/small:1', 10)];
    h.images.list = async () => stored;
    let changes = 0;
    h.newDriver({ usageIntervalMs: 10_000 });
    // The harness's driver has no nodeChanged hook; count through a driver whose hooks have one.
    const d = h.driver;
    (d as unknown as { hooks: { nodeChanged?: () => void } }).hooks.nodeChanged = () => changes++;
    await d.whenReady();
    expect(d.images()).toEqual([{ names: [`r/small@sha256:${'c'.repeat(64)}`, 'r/small:1'], sizeBytes: 10 }]);
    stored = [img('r/small:1', 10), img('r/big:1', 99)];
    await h.advance(10_000, 1000);
    expect(d.images().map((i) => i.sizeBytes)).toEqual([99, 10]);
    expect(changes).toBeGreaterThanOrEqual(1);
    const before = changes;
    await h.advance(10_000, 1000);
    expect(changes).toBe(before); // nothing new, nothing posted
  });
});
