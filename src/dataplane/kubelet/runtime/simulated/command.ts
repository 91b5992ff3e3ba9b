/**
 * Reading a container's whole command off its spec, for the few programs whose effect the simulated runtime can
 * know (sleep-command.ts, exit-command.ts): its argv (command then args), or the words of a shell's one-line
 * script (`sh -c "..."`). The image's own entrypoint (no command) says nothing.
 */
import type { Container } from '../../pod/podspec.js';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);

export const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);

/**
 * `direct` applied to the container's argv; failing that, `script` to the words of `<shell> -c "<script>"`.
 * Undefined when the spec names no command or neither reads it.
 */
export function readCommand<T>(c: Container, direct: (argv: string[]) => T | undefined, script: (words: string[]) => T | undefined = direct): T | undefined {
  const command = strings(c.command);
  const args = strings(c.args ?? []);
  if (!command || command.length === 0 || !args) return undefined;
  const argv = [...command, ...args];
  const read = direct(argv);
  if (read !== undefined) return read;
  if (argv.length === 3 && SHELLS.has(basename(argv[0]!)) && argv[1] === '-c') return script(argv[2]!.trim().split(/\s+/));
  return undefined;
}
