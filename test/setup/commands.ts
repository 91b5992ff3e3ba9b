import { execFileSync } from 'node:child_process';

/** A command's path on PATH, or null: suites that need a tool skip, saying so, when it is absent. */
export function commandPath(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
