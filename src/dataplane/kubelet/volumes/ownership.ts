/**
 * fsGroup ownership (pkg/volume SetVolumeOwnership): every file of a volume gets the pod's fsGroup as its group
 * and group read (read-only volumes) or read-write (others); directories also get group search and setgid so new
 * files inherit the group. Symlinks are re-grouped but never chmod'ed (that would change their target).
 * fsGroupChangePolicy OnRootMismatch skips the walk when the volume root already looks right.
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

/** requiresPermissionChange: the root's group differs, or its mode lacks the bits (and setgid) the walk would add. */
export function rootNeedsChange(st: Stats, fsGroup: number, readOnly: boolean): boolean {
  if (st.gid !== fsGroup) return true;
  if (!st.isDirectory()) return true;
  const want = (readOnly ? RO_MASK : RW_MASK) | EXEC_MASK;
  return (st.mode & want) !== want || (st.mode & SETGID) === 0;
}

async function changeOne(p: string, st: Stats, fsGroup: number, readOnly: boolean): Promise<void> {
  try {
    await fs.lchown(p, -1, fsGroup);
  } catch {
    // upstream logs and carries on: the chmod below still widens group access
  }
  if (st.isSymbolicLink()) return;
  let mask = readOnly ? RO_MASK : RW_MASK;
  if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
  await fs.chmod(p, (st.mode & 0o7777) | mask);
}

async function walk(p: string, visit: (p: string, st: Stats) => Promise<void>): Promise<void> {
  const st = await fs.lstat(p);
  if (st.isDirectory()) {
    for (const name of await fs.readdir(p)) await walk(path.join(p, name), visit);
  }
  await visit(p, st); // children first, as walkDeep does
}

export async function setVolumeOwnership(
  dir: string,
  fsGroup: number | undefined,
  readOnly: boolean,
  changePolicy?: string,
): Promise<void> {
  if (fsGroup === undefined) return;
  if (changePolicy === 'OnRootMismatch' && !rootNeedsChange(await fs.stat(dir), fsGroup, readOnly)) return;
  await walk(dir, (p, st) => changeOne(p, st, fsGroup, readOnly));
}
