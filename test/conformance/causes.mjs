#!/usr/bin/env node
/**
 * Groups a conformance run's failures by cause, from each test's e2e log in the run's work dir:
 *   node test/conformance/causes.mjs [--append <results file>] <work dir>...
 * (several work dirs when a run was resumed; a test seen in several counts once, by its latest run)
 * The causes are recognised by upstream's log lines (first match wins); anything else is listed as `other` with
 * its failure line, to be read by hand.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJunit } from './run.mjs';

/** [cause, pattern in the e2e log], most specific first. */
const CAUSES = [
  ['kubectl 1.32 prints or words things unlike the 1.20 kubectl the test expects', /value is not valid in Client Version|when (creating|applying) CR with unknown field[^\n]*strict decoding error|without required field[^\n]*strict decoding error/],
  ['removed since 1.24: ServiceAccount token Secrets are no longer generated', /service account has no secret references|ServiceAccount.*has no secrets|waiting for a default service account to be provisioned/],
  ['needs a real webhook server pod (admission or conversion webhook)', /webhook configuration to be ready|Deploying the (custom resource conversion )?webhook|sample-webhook|Deploying the sample API server/],
  ['needs exec into a container (simulated nodes run no processes)', /exec is not supported by the runtime|Failed to open websocket to .*\/exec/],
  ['needs container logs/output (simulated containers print nothing)', /Failed to open websocket to .*\/log|Trying to get logs from node|expected .* in container output|Failed to get logs from|in output ""|to contain substring/],
  ['needs a container to run to completion (Succeeded/Failed)', /to be "Succeeded or Failed"|Succeeded or Failed/],
  ['needs DNS lookups from a pod', /Lookups using .* failed/],
  ['needs pod-to-pod or service traffic', /connections failed|Service reachability failing|Failed to connect to|failed to reach|Unable to reach|curl|netexec|could not reach/i],
  ['needs container state transitions (restarts, probes, init failures)', /pod should not be ready|should have failed: v1.ContainerStatus|should not be out of waiting|RestartCount|restart count|liveness|readiness probe|expected to be pending, but it is in the state: Running/i],
];

function causeOf(log) {
  for (const [cause, re] of CAUSES) if (re.test(log)) return cause;
  const lines = log.split('\n');
  // A failure's own line, else (a run stopped at its timeout) the last step it reached.
  const fail = lines.find((l) => /FAIL: /.test(l)) ?? [...lines].reverse().find((l) => /^STEP: /.test(l));
  return `other: ${(fail ?? '').replace(/^\w{3}\s+\d+ [\d:.]+: /, '').trim().slice(0, 200)}`;
}

function main() {
  const args = process.argv.slice(2);
  let resultsFile;
  const works = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--append') resultsFile = args[++i];
    else works.push(args[i]);
  }
  if (works.length === 0) throw new Error('usage: causes.mjs [--append <results file>] <work dir>...');
  const byName = new Map();
  for (const work of works) {
    const reports = join(work, 'reports');
    if (!existsSync(reports)) continue;
    for (const d of readdirSync(reports)) {
      const dir = join(reports, d);
      const logFile = join(dir, 'e2e.log');
      if (!existsSync(logFile)) continue;
      const junit = readdirSync(dir).filter((f) => f.startsWith('junit') && f.endsWith('.xml'));
      const cases = junit.flatMap((f) => parseJunit(readFileSync(join(dir, f), 'utf8'))).filter((c) => c.status !== 'SKIP');
      const log = readFileSync(logFile, 'utf8');
      // No junit: the run was stopped (timeout); its log still says what it waited on.
      const name = cases[0]?.name ?? log.match(/User-Agent: e2e\.test[^\n]* -- (.*)/)?.[1] ?? log.match(/^\[(?:sig-[a-z-]+|k8s\.io)\][^\n]*\n\s+[^\n]*\[Conformance\]/m)?.[0].replace(/\s*\n\s*/, ' ') ?? `${work} report ${d}`;
      byName.set(name, cases.length === 1 && cases[0].status === 'PASS' ? null : causeOf(log));
    }
  }
  const groups = new Map();
  for (const [name, cause] of byName) {
    if (cause === null) continue;
    if (!groups.has(cause)) groups.set(cause, []);
    groups.get(cause).push(name);
  }
  const lines = ['# failures by cause'];
  for (const [cause, names] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`## ${names.length}  ${cause}`);
    for (const n of names.sort()) lines.push(`   ${n}`);
  }
  const text = `${lines.join('\n')}\n`;
  process.stdout.write(text);
  if (resultsFile) appendFileSync(resultsFile, text);
}

main();
