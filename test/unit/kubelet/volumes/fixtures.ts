/** Shared fixtures for the volumes tests: an in-memory ObjectSource and a recording Mounter. */
import type { KubeObject } from '../../../../src/client/types.js';
import type { Mounter } from '../../../../src/dataplane/kubelet/volumes/mounter.js';
import type { ObjectSource } from '../../../../src/dataplane/kubelet/volumes/types.js';

export function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

export class MemorySource implements ObjectSource {
  readonly objects = new Map<string, KubeObject>();
  calls = 0;
  put(kind: 'secret' | 'configmap', ns: string, name: string, body: Record<string, unknown>): this {
    this.objects.set(`${kind}/${ns}/${name}`, { metadata: { namespace: ns, name }, ...body });
    return this;
  }
  async secret(ns: string, name: string) {
    this.calls++;
    return this.objects.get(`secret/${ns}/${name}`);
  }
  async configMap(ns: string, name: string) {
    this.calls++;
    return this.objects.get(`configmap/${ns}/${name}`);
  }
}

/** Records tmpfs mounts instead of making them (unit tests need no root). */
export class FakeMounter implements Mounter {
  readonly mounted = new Map<string, number | undefined>();
  readonly log: string[] = [];
  async mountTmpfs(dir: string, sizeBytes?: number) {
    this.log.push(`mount ${dir} ${sizeBytes ?? ''}`);
    this.mounted.set(dir, sizeBytes);
  }
  async unmount(dir: string) {
    this.log.push(`umount ${dir}`);
    this.mounted.delete(dir);
  }
  async mountsUnder(dir: string) {
    return [...this.mounted.keys()].filter((m) => m === dir || m.startsWith(dir + '/')).sort((a, b) => b.length - a.length);
  }
}
