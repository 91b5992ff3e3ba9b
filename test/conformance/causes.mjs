#!/usr/bin/env node
/**
 * Groups a conformance run's failures by cause, from each test's e2e log in the run's work dir:
 *   node test/conformance/causes.mjs <work dir> [results file to append the grouping to]
 * The causes are recognised by upstream's log lines (first match wins); anything else is listed as `other` with
 * its failure line, to be read by hand.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJunit } from './run.mjs';

/** [cause, pattern in the e2e log], most specific first. */
const CAUSES = [
  ['removed since 1.24: ServiceAccount token Secrets are no longer generated', /service account has no secret references|ServiceAccount.*has no secrets/],
  ['needs a real webhook server pod (admission or conversion webhook)', /webhook configuration to be ready|Deploying the (custom resource conversion )?webhook|sample-webhook|Deploying the sample API server/],
  ['needs exec into a container (simulated nodes run no processes)', /exec is not supported by the runtime|Failed to open websocket to .*\/exec/],
  ['needs container logs/output (simulated containers print nothing)', /Failed to open websocket to .*\/log|Trying to get logs from node|expected .* in container output|Failed to get logs from/],
  ['needs a container to run to completion (Succeeded/Failed)', /to be "Succeeded or Failed"|Succeeded or Failed/],
  ['needs DNS lookups from a pod', /Lookups using .* failed/],
  ['needs pod-to-pod or service traffic', /Service reachability failing|Failed to connect to|failed to reach|Unable to reach|curl|netexec|could not reach/i],
  ['needs container state transitions (restarts, probes, init failures)', /should not be out of waiting|RestartCount|restart count|liveness|readiness probe|expected to be pending, but it is in the state: Running/i],
];

function causeOf(log) {
  for (const [cause, re] of CAUSES) if (re.test(log)) return cause;
  const fail = log.split('\n').find((l) => /FAIL: |Unexpected error|Expected$/.test(l));
  return `other: ${(fail ?? '').trim().slice(0, 200)}`;
}

function main() {
  const [work, resultsFile] = process.argv.slice(2);
  if (!work) throw new Error('usage: causes.mjs <work dir> [results file]');
  const reports = join(work, 'reports');
  const groups = new Map();
  for (const d of readdirSync(reports)) {
    const dir = join(reports, d);
    const logFile = join(dir, 'e2e.log');
    if (!existsSync(logFile)) continue;
    const junit = readdirSync(dir).filter((f) => f.startsWith('junit') && f.endsWith('.xml'));
    const cases = junit.flatMap((f) => parseJunit(readFileSync(join(dir, f), 'utf8'))).filter((c) => c.status !== 'SKIP');
    // No junit: the run was stopped (timeout); its log still says what it waited on.
    if (cases.length === 1 && cases[0].status === 'PASS') continue;
    const log = readFileSync(logFile, 'utf8');
    const name = cases[0]?.name ?? log.match(/User-Agent: e2e\.test[^\n]* -- (.*)/)?.[1] ?? log.match(/^\[(?:sig-[a-z-]+|k8s\.io)\][^\n]*\n\s+[^\n]*\[Conformance\]/m)?.[0].replace(/\s*\n\s*/, ' ') ?? `report ${d}`;
    const cause = causeOf(log);
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
