/**
 * Appends a container's CRI log records to its file and rotates it as the kubelet's container log manager
 * does (containerLogMaxSize 10 MiB, containerLogMaxFiles 5): the full file becomes `<log>.<YYYYMMDD-hhmmss>`,
 * older rotated files are gzipped (`.gz`), and the oldest go so that at most maxFiles remain with the live one.
 * Writes are serialised; a failing disk loses lines, never the agent.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface LogRotation {
  maxBytes: number;
  maxFiles: number;
}

export const DEFAULT_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** The kubelet's rotated-log suffix (time.Format("20060102-150405"), UTC here). */
export function rotationSuffix(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-12-03T12:00:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export class LogWriter {
  private file: FileHandle | undefined;
  private size = 0;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;

  constructor(
    readonly path: string,
    private readonly rotation: LogRotation = DEFAULT_ROTATION,
    private readonly nowMs: () => number = Date.now,
    private readonly highWater = 1 << 20,
  ) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.file = await open(this.path, 'a');
    this.size = (await this.file.stat()).size;
  }

  /** Queues data; false once more than highWater bytes wait (the reader should pause until flushed()). */
  write(data: Buffer): boolean {
    this.queued += data.length;
    this.chain = this.chain
      .then(() => this.append(data))
      .catch(() => undefined)
      .then(() => {
        this.queued -= data.length;
      });
    return this.queued < this.highWater;
  }

  /** Resolves once everything written so far is on disk (or failed). */
  flushed(): Promise<void> {
    return this.chain;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
  }

  private async append(data: Buffer): Promise<void> {
    if (!this.file) return;
    await this.file.write(data);
    this.size += data.length;
    if (this.rotation.maxBytes > 0 && this.size >= this.rotation.maxBytes) await this.rotate();
  }

  private async rotate(): Promise<void> {
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    await rename(this.path, `${this.path}.${rotationSuffix(this.nowMs())}`).catch(() => undefined);
    this.file = await open(this.path, 'a');
    this.size = 0;
    await this.compressAndPrune();
  }

  /** Rotated files, oldest first (the suffix sorts by time). */
  async rotated(): Promise<string[]> {
    const dir = dirname(this.path);
    const prefix = basename(this.path) + '.';
    const names = await readdir(dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.startsWith(prefix) && /^\d{8}-\d{6}(\.gz)?$/.test(n.slice(prefix.length)))
      .sort()
      .map((n) => join(dir, n));
  }

  private async compressAndPrune(): Promise<void> {
    let files = await this.rotated();
    const keep = Math.max(0, this.rotation.maxFiles - 1);
    while (files.length > keep) await rm(files.shift()!, { force: true });
    // All but the newest rotated file are compressed.
    for (const f of files.slice(0, -1)) {
      if (f.endsWith('.gz')) continue;
      try {
        await pipeline(createReadStream(f), createGzip(), createWriteStream(`${f}.gz.tmp`));
        await rename(`${f}.gz.tmp`, `${f}.gz`);
        await rm(f, { force: true });
      } catch {
        await rm(`${f}.gz.tmp`, { force: true });
      }
    }
  }
}
