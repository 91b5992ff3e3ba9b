/**
 * The content-addressed blob store: blobs/sha256/<hex>, each written once through a temporary file in ingest/
 * and renamed into place only after its digest (and size, when known) matched, so a blob's presence means it is
 * whole and verified.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A blob whose bytes do not hash to the digest that named it (containerd's words). */
export class DigestMismatchError extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super(`unexpected commit digest ${actual}, expected ${expected}: failed precondition`);
    this.name = 'DigestMismatchError';
  }
}

export class SizeMismatchError extends Error {
  constructor(readonly expected: number, readonly actual: number) {
    super(`unexpected commit size ${actual}, expected ${expected}: failed precondition`);
    this.name = 'SizeMismatchError';
  }
}

export const sha256Of = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** A pass-through that hashes and counts what flows by. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

export class ContentStore {
  readonly blobsDir: string;
  private readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
  }

  path(digest: string): string {
    return join(this.blobsDir, digest.slice('sha256:'.length));
  }

  async has(digest: string): Promise<boolean> {
    try {
      return (await stat(this.path(digest))).isFile();
    } catch {
      return false;
    }
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  read(digest: string): Promise<Buffer> {
    return readFile(this.path(digest));
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest));
  }

  /** Stores bytes under their digest, checking it when one is expected. */
  async putBytes(bytes: Buffer, expected?: string): Promise<string> {
    const actual = sha256Of(bytes);
    if (expected !== undefined && expected !== actual) throw new DigestMismatchError(expected, actual);
    if (await this.has(actual)) return actual;
    const tmp = await this.tempPath();
    await writeFile(tmp, bytes);
    await rename(tmp, this.path(actual));
    return actual;
  }

  /** Streams a blob in, verifying digest and size before it becomes visible. */
  async ingest(source: Readable, expected: string, expectedSize?: number): Promise<void> {
    if (await this.has(expected)) {
      source.destroy();
      return;
    }
    const tmp = await this.tempPath();
    const hasher = new HashingStream();
    try {
      await pipeline(source, hasher, createWriteStream(tmp));
      const actual = hasher.digest();
      if (actual !== expected) throw new DigestMismatchError(expected, actual);
      if (expectedSize !== undefined && hasher.bytes !== expectedSize) throw new SizeMismatchError(expectedSize, hasher.bytes);
      await rename(tmp, this.path(expected));
    } finally {
      await rm(tmp, { force: true });
    }
  }

  private async tempPath(): Promise<string> {
    await mkdir(this.ingestDir, { recursive: true });
    await mkdir(this.blobsDir, { recursive: true });
    return join(this.ingestDir, `${Date.now()}-${randomBytes(6).toString('hex')}`);
  }
}
