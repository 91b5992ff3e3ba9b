/**
 * The kubelet's atomic writer (pkg/volume/util/atomic_writer.go): a configMap, secret, downwardAPI or projected
 * volume's files live in a timestamped directory `..2006_01_02_15_04_05.<random>`; `..data` is a relative
 * symlink to it; each top-level name in the volume is a symlink `<name> → ..data/<name>`. An update writes a new
 * timestamped directory and swaps `..data` with one rename, so a reader sees the old set or the new set, never a
 * mix; an unchanged payload is not rewritten. Writes only under the target directory.
 */
import { randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** File mode bits (e.g. 0o644). */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';
const MAX_PATH = 4096;
const MAX_NAME = 255;

/** atomic_writer validatePath: relative, no `..` element, no leading `..name`, within length limits. */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error(`invalid path: must not be empty: "${p}"`);
  if (p.startsWith('/')) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.length > MAX_PATH) throw new Error(`invalid path: must be less than or equal to ${MAX_PATH} characters`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new Error(`invalid path: must not contain '..': ${p}`);
    if (item.length > MAX_NAME) throw new Error(`invalid path: filenames must be less than or equal to ${MAX_NAME} characters`);
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) throw new Error(`invalid path: must not start with '..': ${p}`);
}

/** Go's path.Clean for relative payload paths. */
export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(part);
  }
  return (p.startsWith('/') ? '/' : '') + out.join('/') || (p.startsWith('/') ? '/' : '.');
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** `..2006_01_02_15_04_05.` in UTC, the prefix Go's MkdirTemp extends with random digits. */
export function timestampDirPrefix(now: Date): string {
  return `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
}

async function lstatOrUndefined(p: string) {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readlinkOrEmpty(p: string): Promise<string> {
  try {
    return await fs.readlink(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return '';
    throw err;
  }
}

/** Every file (relative path) under dir, recursively. */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await fs.readdir(path.join(dir, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const e of entries) {
    const r = rel ? rel + '/' + e.name : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out;
}

export interface WriteResult {
  /** False when the payload matched what was on disk (nothing written). */
  written: boolean;
  /** The timestamped directory `..data` points at after the write. */
  dataDir: string;
}

export class AtomicWriter {
  constructor(
    readonly targetDir: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async write(payload: Payload): Promise<WriteResult> {
    const clean: Payload = new Map();
    for (const [p, f] of payload) {
      validatePayloadPath(p);
      clean.set(cleanPath(p), f);
    }
    await fs.mkdir(this.targetDir, { recursive: true });

    const oldTsName = await readlinkOrEmpty(path.join(this.targetDir, DATA_DIR));
    const oldTsPath = oldTsName ? path.join(this.targetDir, oldTsName) : '';
    const oldFiles = oldTsPath ? await listFiles(oldTsPath) : [];

    // Top-level user-visible names the new payload no longer has.
    const newTop = new Set([...clean.keys()].map((p) => p.split('/')[0]!));
    const toRemove = new Set(oldFiles.map((p) => p.split('/')[0]!).filter((t) => !newTop.has(t)));

    if (oldTsPath && toRemove.size === 0 && !(await this.shouldWrite(clean, oldTsPath))) {
      return { written: false, dataDir: oldTsName };
    }

    const tsName = await this.newTimestampDir();
    const tsDir = path.join(this.targetDir, tsName);
    try {
      for (const [p, f] of clean) {
        const file = path.join(tsDir, p);
        await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
        await fs.writeFile(file, f.data, { mode: f.mode });
        await fs.chmod(file, f.mode); // the umask must not change the mode asked for
      }
      const tmpLink = path.join(this.targetDir, DATA_TMP);
      await fs.rm(tmpLink, { force: true });
      await fs.symlink(tsName, tmpLink);
      await fs.rename(tmpLink, path.join(this.targetDir, DATA_DIR));
    } catch (err) {
      await fs.rm(tsDir, { recursive: true, force: true });
      throw err;
    }
    // After the swap, so a new name never points into a ..data that lacks it.
    for (const top of newTop) {
      const link = path.join(this.targetDir, top);
      if (!(await lstatOrUndefined(link))) await fs.symlink(path.join(DATA_DIR, top), link);
    }
    for (const top of toRemove) await fs.rm(path.join(this.targetDir, top), { recursive: true, force: true });
    if (oldTsPath) await fs.rm(oldTsPath, { recursive: true, force: true });
    return { written: true, dataDir: tsName };
  }

  private async shouldWrite(payload: Payload, oldTsPath: string): Promise<boolean> {
    for (const [p, f] of payload) {
      try {
        const onDisk = await fs.readFile(path.join(oldTsPath, p));
        if (!onDisk.equals(f.data)) return true;
      } catch {
        return true;
      }
    }
    return false;
  }

  private async newTimestampDir(): Promise<string> {
    const prefix = timestampDirPrefix(this.now());
    for (;;) {
      const name = prefix + String(randomInt(0, 2 ** 32 - 1));
      try {
        await fs.mkdir(path.join(this.targetDir, name), { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      await fs.chmod(path.join(this.targetDir, name), 0o755);
      return name;
    }
  }
}
