/**
 * How long a container whose whole command is a plain `sleep` would run: the one program whose run time the
 * simulated runtime can read off the spec. `sleep 30`, `/bin/sleep 1.5`, `sleep 2m` (GNU suffixes s, m, h, d),
 * `sleep infinity`, and the same as a shell's whole script (`sh -c "sleep 30"`). Anything else (an image's
 * default command, a script doing more than sleeping) says nothing.
 */
import type { Container } from '../../pod/podspec.js';
import { basename, readCommand } from './command.js';

const UNIT_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** One `sleep` operand in ms; null = forever (`infinity`); undefined = not a duration. */
function durationMs(arg: string): number | null | undefined {
  if (arg === 'infinity' || arg === 'inf') return null;
  const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(arg);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** argv of a bare `sleep <duration>`: its run time (null = forever), undefined otherwise. */
function sleepArgv(argv: string[]): number | null | undefined {
  if (argv.length !== 2 || basename(argv[0]!) !== 'sleep') return undefined;
  return durationMs(argv[1]!);
}

/**
 * The run time a container's command asks for, when the command is nothing but a sleep: ms, null for
 * `sleep infinity`, undefined when the command is anything else.
 */
export function plainSleepMs(c: Container): number | null | undefined {
  return readCommand(c, sleepArgv);
}

/**
 * The run time of a pod whose every regular container is a plain sleep: the longest (null when one sleeps
 * forever); undefined when any container does something else.
 */
export function podSleepMs(containers: Container[]): number | null | undefined {
  if (containers.length === 0) return undefined;
  let longest = 0;
  for (const c of containers) {
    const ms = plainSleepMs(c);
    if (ms === undefined) return undefined;
    if (ms === null) return null;
    longest = Math.max(longest, ms);
  }
  return longest;
}
