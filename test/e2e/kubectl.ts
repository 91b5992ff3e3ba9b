/**
 * The real kubectl for end-to-end tests: where it is, and runners bound to a server's kubeconfig. The kubeconfig is
 * read at call time because suites start their server in beforeAll, after these runners are made.
 */
import { execFileSync } from 'node:child_process';
import { commandPath } from '../setup/commands.js';

export const KUBECTL = commandPath('kubectl');

/** Says once, for the suite named, that it is skipped (suites use `describe.skipIf(!KUBECTL)`). */
export const warnIfNoKubectl = (suite: string): void => {
  if (!KUBECTL) console.warn(`kubectl not found on PATH: ${suite} is skipped`);
};

export interface Kubectl {
  /** Runs kubectl; its stdout, or throws with stderr on a non-zero exit. */
  k(...args: string[]): string;
  /** Runs kubectl expecting failure; its stderr. */
  kFail(...args: string[]): string;
  /** Runs kubectl with stdin. */
  kIn(input: string, ...args: string[]): string;
}

export function kubectlFor(kubeconfig: () => string, opts: { timeoutMs?: number } = {}): Kubectl {
  const run = (input: string | undefined, args: string[]): string =>
    execFileSync(KUBECTL!, ['--kubeconfig', kubeconfig(), ...args], {
      encoding: 'utf8',
      ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input, stdio: ['pipe', 'pipe', 'pipe'] }),
      ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
    });
  const k = (...args: string[]): string => run(undefined, args);
  return {
    k,
    kIn: (input, ...args) => run(input, args),
    kFail: (...args) => {
      try {
        k(...args);
      } catch (err) {
        return String((err as { stderr?: string }).stderr ?? err);
      }
      throw new Error(`kubectl ${args.join(' ')} unexpectedly succeeded`);
    },
  };
}
