/** What every subcommand does with a failure a user can act on: one line naming the command, exit code 1. */
import { InvalidArgumentError } from 'commander';

export function guard<A extends unknown[]>(command: string, fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      // commander prints its own argument errors.
      if (e instanceof InvalidArgumentError) throw e;
      console.error(`skiff ${command}: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    }
  };
}
