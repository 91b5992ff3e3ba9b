/** Whether a command is on PATH (for start-up checks that name what is missing). */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function commandOnPath(name: string, path = process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      /* not here */
    }
  }
  return false;
}

/** Why this machine cannot run a real node, or null. */
export function realNodeSkipReason(): string | null {
  if (process.platform !== 'linux') return 'a runc node needs Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'a runc node needs root (network namespaces, runc, mounts)';
  for (const tool of ['runc', 'ip', 'nsenter', 'unshare', 'mount', 'umount']) if (!commandOnPath(tool)) return `a runc node needs the '${tool}' command`;
  return null;
}
