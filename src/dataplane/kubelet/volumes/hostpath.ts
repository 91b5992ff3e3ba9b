/**
 * hostPath volumes' type check (pkg/volume/hostpath checkType): the path must be what `type` says, and the
 * *OrCreate types make an empty directory (0755, with parents) or an empty file (0644, no parents) first.
 * Symlinks are followed, as stat(2) does.
 */
import { promises as fs, constants as fsc } from 'node:fs';

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

const STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory',
  EEXIST: 'file exists', EROFS: 'read-only file system', EISDIR: 'is a directory',
};

/** Go's *PathError text (`open /p: no such file or directory`), which upstream's message carries. */
function pathError(op: string, p: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return new Error(`${op} ${p}: ${STRERROR[code] ?? (err as Error).message}`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** hostutil GetFileType: Directory, Socket, CharDevice, BlockDevice or File; anything else is an error. */
async function fileType(p: string): Promise<string> {
  const st = await fs.stat(p);
  if (st.isDirectory()) return 'Directory';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  if (st.isFile()) return 'File';
  throw new Error('only recognise file, directory, socket, block device and character device');
}

async function typeMatchedOrError(p: string, expected: string, description: string): Promise<void> {
  if (!(await exists(p))) throw new Error(`hostPath ${p} doesn't exist`);
  let actual: string;
  try {
    actual = await fileType(p);
  } catch (err) {
    throw new Error(`hostPath type check failed, ${p} is not a ${description}, unable to determine its type: ${(err as Error).message}`);
  }
  if (actual !== expected) throw new Error(`hostPath type check failed: ${p} is not a ${description}, it's a ${actual}`);
}

/** Throws upstream's message when the path does not match; an empty type checks nothing. */
export async function checkHostPathType(p: string, type: string | undefined): Promise<void> {
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!(await exists(p))) {
        try {
          await fs.mkdir(p, { recursive: true, mode: 0o755 });
        } catch (err) {
          throw pathError('mkdir', p, err);
        }
        return;
      }
      return typeMatchedOrError(p, 'Directory', 'directory');
    case 'Directory':
      return typeMatchedOrError(p, 'Directory', 'directory');
    case 'FileOrCreate':
      if (!(await exists(p))) {
        try {
          const h = await fs.open(p, fsc.O_CREAT | fsc.O_RDONLY, 0o644);
          await h.close();
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw pathError('open', p, err);
        }
        return;
      }
      return typeMatchedOrError(p, 'File', 'file');
    case 'File':
      return typeMatchedOrError(p, 'File', 'file');
    case 'Socket':
      return typeMatchedOrError(p, 'Socket', 'socket file');
    case 'CharDevice':
      return typeMatchedOrError(p, 'CharDevice', 'character device');
    case 'BlockDevice':
      return typeMatchedOrError(p, 'BlockDevice', 'block device');
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}
