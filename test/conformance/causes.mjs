#!/usr/bin/env node
/**
 * Groups a conformance run's failures by cause, from each test's e2e log in the run's work dir:
 *   node test/conformance/causes.mjs [--append <results file>] <work dir>...
 * (several work dirs when a run was resumed; a test seen in several counts once, by its latest run)
 * The causes are recognised by upstream's log lines (first match wins); anything else is listed as `unclassified`
 * with its failure line or last step, to be read by hand.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseJunit } from './run.mjs';

/**
 * What a failure is put down to, most specific first: `log` is looked for anywhere in the e2e log, `step` in the
 * last STEP the test reached (a timed-out run has no failure line: its last step tells what it waited on); an
 * entry with both needs both. A cause names what the test needs that Skiff's simulated nodes cannot give (a
 * container that runs, prints, exits, answers exec or HTTP), behaviour removed or changed since 1.20, or a Skiff
 * bug or gap (what the API server or a controller does wrong, to be fixed).
 */
const CAUSES = [
  { cause: 'kubectl 1.32 prints or words things unlike the 1.20 kubectl the test expects', log: /value is not valid in Client Version|when (creating|applying) CR with unknown field[\s\S]{0,800}?strict decoding error|without required field[\s\S]{0,800}?strict decoding error/ },
  { cause: "kubectl's discovery cache: a new CRD's short name is unknown to kubectl explain until the cache refreshes ([Flaky] upstream too)", log: /the server doesn't have a resource type "ksvc-/ },
  { cause: 'removed since 1.24: ServiceAccount token Secrets are no longer generated', log: /service account has no secret references|ServiceAccount.*has no secrets|waiting for a default service account to be provisioned/ },
  { cause: 'needs a real webhook or extension API server pod (admission webhook, conversion webhook, sample API server)', log: /webhook configuration to be ready|Deploying the (custom resource conversion )?webhook|sample-webhook|(Deploying|Registering) the sample API server/ },
  { cause: 'needs exec into a container (simulated nodes run no processes)', log: /exec is not supported by the runtime|Failed to open websocket to .*\/exec|must resolve to IP|service is not reachable within \S+ timeout on endpoint|failed to execute command in pod/ },
  { cause: 'needs a container serving HTTP behind pods/services proxy (simulated pods serve nothing)', log: /\/proxy\/ gave status error|validator function failed|Failed to GET from replica|Failed to get response from guestbook|Error validating prestop/ },
  { cause: 'needs container logs/output (simulated containers print nothing)', log: /Failed to open websocket to .*\/log|Trying to get logs from node|expected .* in container output|Failed to get logs from|in output \\?"\\?"|to contain substring|common\/kubelet\.go/ },
  { cause: 'needs container logs/output (simulated containers print nothing)', step: /Waiting for pod with text data|checking for a matching strings|check p(ost|re)start hook|Waiting for Agnhost primary to start/ },
  // A volume's update shows up only in what the container prints: these time out right after creating the pod.
  { cause: 'needs container logs/output (simulated containers print nothing)', log: /updates? should be reflected in volume|should update (labels|annotations) on modification/, step: /Creating the pod/ },
  { cause: 'needs a container to run to completion (Succeeded/Failed)', log: /to be "Succeeded or Failed"|Succeeded or Failed/ },
  { cause: 'needs a container to run to completion (Succeeded/Failed)', step: /wait for the container to reach (Succeeded|Failed)/ },
  { cause: 'needs DNS lookups from a pod', log: /Lookups using .* failed/ },
  { cause: 'needs pod-to-pod or service traffic', log: /connections failed|Service reachability failing|Failed to connect to|failed to reach|Unable to reach|curl|netexec|could not reach/i },
  { cause: 'needs container state transitions (restarts, probes, init failures)', log: /pod should not be ready|should have failed: v1.ContainerStatus|should not be out of waiting|RestartCount|restart count|liveness|readiness probe|expected to be pending, but it is in the state: Running|expected to be able to write to subpath|while waiting for pod to be running/i },
  { cause: 'needs container state transitions (restarts, probes, init failures)', log: /should invoke init containers/, step: /creating the pod/ },
  { cause: 'skiff bug or gap: a controller (Job, Deployment, DaemonSet, StatefulSet)', log: /unexpected pod \S+ be restarted|doesn't have the required revision set|apps\/daemon_set\.go/ },
  { cause: 'skiff bug or gap: a controller (Job, Deployment, DaemonSet, StatefulSet)', step: /Ensuring active pods == parallelism|ensuring each pod is running|Performing a phased rolling update|Waiting until stateful pod \S+ will be recreated and deleted/ },
  { cause: 'skiff bug or gap: the scheduler (predicates, preemption)', step: /basename sched-(pred|preemption)|Wait for pods to be scheduled|Explicitly delete pod here|Trying to create another pod\(pod5\)/ },
  { cause: 'skiff bug or gap: the kubelet (activeDeadlineSeconds)', log: /activeDeadlineSeconds to be updated/, step: /updating the pod/ },
];

function causeOf(log) {
  const lines = log.split('\n');
  const step = [...lines].reverse().find((l) => /^STEP: /.test(l))?.trim() ?? '';
  for (const c of CAUSES) if ((!c.log || c.log.test(log)) && (!c.step || c.step.test(step))) return c.cause;
  // A failure's own line, else the last step it reached.
  const fail = lines.find((l) => /FAIL: /.test(l));
  if (fail) return `unclassified failure (skiff bug?): ${fail.replace(/^\w{3}\s+\d+ [\d:.]+: (FAIL: )?/, '').trim().slice(0, 200)}`;
  return `unclassified timeout, last ${(step || 'STEP: none').slice(0, 200)}`;
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
      const all = junit.flatMap((f) => parseJunit(readFileSync(join(dir, f), 'utf8')));
      const cases = all.filter((c) => c.status !== 'SKIP');
      // A junit report with every spec skipped: the test skipped itself (e.g. a private image); not a failure.
      if (all.length > 0 && cases.length === 0) continue;
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
