import { Command } from 'commander';

const program = new Command('skiff').description('A Kubernetes-compatible cluster').version('0.1.0');

await program.parseAsync(process.argv);
