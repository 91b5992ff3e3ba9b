/**
 * Containers whose whole command is a program that only exits: `true` (0), `false` (1), a shell's `exit N`
 * (`sh -c "exit 3"`, `sh -c true`). Like a plain `sleep` (sleep-command.ts), what such a container does can be
 * read off the spec, so a simulated node runs it as a real one would: it exits at once with that code, and its
 * restartPolicy decides what follows (Succeeded, Failed, a crash loop; for an init container, the pod's init
 * phase failing). Anything else (the image's entrypoint, a script doing more) says nothing.
 */
import type { Container } from '../../pod/podspec.js';
import { basename, readCommand } from './command.js';

/** `true` / `false` as a program (a path or a bare name). */
function programExit(argv: string[]): number | undefined {
  if (argv.length !== 1) return undefined;
  const prog = basename(argv[0]!);
  return prog === 'true' ? 0 : prog === 'false' ? 1 : undefined;
}

/** A shell script of one command: true, false, or the builtin `exit [N]` (its status taken modulo 256). */
function scriptExit(words: string[]): number | undefined {
  if (words[0] === 'exit') {
    if (words.length === 1) return 0;
    if (words.length === 2 && /^\d{1,9}$/.test(words[1]!)) return Number(words[1]) % 256;
    return undefined;
  }
  return programExit(words);
}

/** The exit code a container's command ends with at once, or undefined when the command is anything else. */
export function immediateExitCode(c: Container): number | undefined {
  return readCommand(c, programExit, scriptExit);
}
