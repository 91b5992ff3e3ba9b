import { describe, expect, test } from 'vitest';
import { Command } from 'commander';
import { registerSchedulerCommand } from '../../../../src/cli/scheduler.js';
import { startScheduler } from '../../../../src/control/scheduler/start.js';

function program(): { p: Command; errors: string[] } {
  const errors: string[] = [];
  const p = new Command('skiff').exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} });
  registerSchedulerCommand(p);
  p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: (s) => errors.push(s), writeOut: () => {} }));
  return { p, errors };
}

describe('skiff scheduler arguments', () => {
  test('--kubeconfig is required; --core and --percentage-of-nodes-to-score are checked', async () => {
    for (const [args, want] of [
      [['scheduler'], "required option '--kubeconfig <file>' not specified"],
      [['scheduler', '--kubeconfig', 'k', '--core', 'gpu'], 'wasm or reference'],
      [['scheduler', '--kubeconfig', 'k', '--percentage-of-nodes-to-score', '101'], 'an integer from 0 (adaptive) to 100'],
      [['scheduler', '--kubeconfig', 'k', '--bind-timeout-seconds', '0'], 'a positive number of seconds'],
    ] as const) {
      const { p, errors } = program();
      await expect(p.parseAsync(['node', 'skiff', ...args])).rejects.toThrow();
      expect(errors.join('')).toContain(want);
    }
  });

  test('a missing kubeconfig file and a bad percentage are clear errors', async () => {
    await expect(startScheduler({ kubeconfig: '/nonexistent/kubeconfig.yaml' })).rejects.toThrow('kubeconfig /nonexistent/kubeconfig.yaml: file not found');
    await expect(startScheduler({ clientConfig: { server: 'http://127.0.0.1:1' }, percentageOfNodesToScore: 150 })).rejects.toThrow(
      'percentageOfNodesToScore must be an integer in 0..100',
    );
    await expect(startScheduler({ clientConfig: { server: 'http://127.0.0.1:1' }, bindTimeoutSeconds: -1 })).rejects.toThrow('bindTimeoutSeconds must be positive, got -1');
  });
});
