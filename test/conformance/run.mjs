#!/usr/bin/env node
/**
 * Runs upstream's [Conformance] e2e tests (e2e.test v1.20.2, built by build-e2e.sh) against `skiff server` with
 * simulated nodes, one e2e.test process per test: a hard per-test timeout, results that survive a stopped run,
 * and a resumable list. Not part of CI's default run (vitest only picks up *.test.ts).
 *
 *   node test/conformance/run.mjs --e2e ~/.cache/skiff-conformance/e2e.test-v1.20.2 [options]
 *
 * Options: --focus RE (default '\[Conformance\]'), --skip RE, --timeout S (per test, 180), --nodes N (3),
 * --jobs N (tests side by side, 1), --content-type T (e2e's requests, application/json), --limit N, --out FILE (default test/conformance/results/<date>.txt), --resume (skip tests already in --out),
 * --list (dry run: print the names and their count), --work DIR (server data and reports; default a temp dir),
 * --unpullable-images LIST (images the simulated nodes fail to pull, comma-separated; default UNPULLABLE below).
 * The results file gets one line per test: `PASS|FAIL|SKIP|TIMEOUT <name>` and, for failures, the first line of
 * the reason; a closing `N passed, N failed, N skipped` line.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Images upstream's tests use as "does not exist" to hold a rollout halfway (Deployment proportional scaling:
 * webserver:404; DaemonSet rollback: foo:non-existent). Simulated nodes pull every image unless their node spec's
 * unpullableImages names it; a real cluster fails these pulls, so the nodes are told to as well.
 */
const UNPULLABLE = 'webserver:404,foo:non-existent';

function parseArgs(argv) {
  const o = { focus: '\\[Conformance\\]', skip: '', timeout: 180, nodes: 3, limit: Infinity, out: '', resume: false, list: false, e2e: '', work: '', jobs: 1, contentType: 'application/json', unpullableImages: UNPULLABLE };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--e2e': o.e2e = val(); break;
      case '--focus': o.focus = val(); break;
      case '--skip': o.skip = val(); break;
      case '--timeout': o.timeout = Number(val()); break;
      case '--nodes': o.nodes = Number(val()); break;
      case '--limit': o.limit = Number(val()); break;
      case '--jobs': o.jobs = Number(val()); break;
      case '--content-type': o.contentType = val(); break;
      case '--unpullable-images': o.unpullableImages = val(); break;
      case '--out': o.out = val(); break;
      case '--work': o.work = val(); break;
      case '--resume': o.resume = true; break;
      case '--list': o.list = true; break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (!o.e2e) throw new Error('--e2e <path to e2e.test> is required (build-e2e.sh prints it)');
  if (!Number.isFinite(o.timeout) || o.timeout <= 0) throw new Error('--timeout: seconds, above 0');
  if (!Number.isInteger(o.nodes) || o.nodes < 1) throw new Error('--nodes: 1 or more');
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new Error('--jobs: 1 or more');
  o.out ||= join(ROOT, 'test/conformance/results', `${new Date().toISOString().slice(0, 10)}.txt`);
  return o;
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Process groups of the e2e.test runs in flight, ended with the runner. */
const running = new Set();

/** Runs a command to completion (or kills its process group after timeoutMs); collects its output. */
function run(cmd, args, { timeoutMs, env, logFile } = {}) {
  return new Promise((res) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child.pid);
    let out = '';
    let timedOut = false;
    const onData = (d) => {
      out += d.toString();
      if (logFile) appendFileSync(logFile, d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const t = timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
        }, timeoutMs)
      : undefined;
    child.on('close', (code) => {
      running.delete(child.pid);
      clearTimeout(t);
      res({ code, out, timedOut });
    });
  });
}

async function startSkiff(workDir, nodes, unpullableImages) {
  const port = await freePort();
  const dataDir = join(workDir, 'skiff-data');
  mkdirSync(dataDir, { recursive: true });
  const specFile = join(workDir, 'node-spec.json');
  const unpullable = unpullableImages.split(',').map((s) => s.trim()).filter(Boolean);
  writeFileSync(specFile, `${JSON.stringify({ unpullableImages: unpullable }, null, 2)}\n`);
  const child = spawn(process.execPath, [join(ROOT, 'bin/skiff.js'), 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, '--nodes', String(nodes), '--node-spec', specFile, '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = join(workDir, 'skiff.log');
  child.stderr.on('data', (d) => appendFileSync(logFile, d));
  await new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`skiff server not ready in 60 s; see ${logFile}`)), 60_000);
    child.stdout.on('data', (d) => {
      appendFileSync(logFile, d);
      out += d.toString();
      if (out.includes('\n')) { clearTimeout(t); res(); }
    });
    child.once('exit', (code) => { clearTimeout(t); rej(new Error(`skiff server exited with ${code}; see ${logFile}`)); });
  });
  return { child, kubeconfig: join(dataDir, 'kubeconfig.yaml'), logFile };
}

function e2eArgs(o, kubeconfig, reportDir, focus, extra = []) {
  return [
    `--kubeconfig=${kubeconfig}`, '--provider=local', `--report-dir=${reportDir}`, '--ginkgo.noColor',
    `--ginkgo.focus=${focus}`, ...(o.skip ? [`--ginkgo.skip=${o.skip}`] : []),
    // Simulated nodes run no system pods; don't wait on them.
    // Skiff decodes protobuf request bodies for a few kinds only; JSON keeps the run about API semantics
    // (--content-type application/vnd.kubernetes.protobuf measures protobuf instead).
    `--kube-api-content-type=${o.contentType}`,
    // e2e 1.20 waits for the default ServiceAccount to hold a token Secret; since 1.24 none is generated.
    '--e2e-verify-service-account=false',
    '--minStartupPods=0', '--system-pods-startup-timeout=30s', '--node-schedulable-timeout=60s',
    ...extra,
  ];
}

const decode = (s) => s.replace(/&#34;/g, '"').replace(/&#xA;/g, '\n').replace(/&#x9;/g, '\t').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** ginkgo v1's junit report: one <testcase name=...> per spec, with <skipped/> or <failure message=...>. */
export function parseJunit(xml) {
  const cases = [];
  const re = /<testcase name="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const name = decode(m[1]);
    const body = m[2] ?? '';
    if (/<skipped/.test(body)) cases.push({ name, status: 'SKIP' });
    else if (/<failure/.test(body)) {
      const msg = body.match(/<failure[^>]*message="([^"]*)"/)?.[1] ?? '';
      const text = body.match(/<failure[^>]*>([\s\S]*?)<\/failure>/)?.[1] ?? '';
      cases.push({ name, status: 'FAIL', reason: decode(msg || text).trim() });
    } else cases.push({ name, status: 'PASS' });
  }
  return cases;
}

/** A failure's text on one line: ginkgo puts the source location first; the message follows. */
function oneLine(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^\/\S+\.go:\d+$/.test(l));
  return lines.join(' ').replace(/\s+/g, ' ').slice(0, 400);
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readJunit(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith('junit') && f.endsWith('.xml')).flatMap((f) => parseJunit(readFileSync(join(dir, f), 'utf8')));
}

/** The last line of e2e output that says why, when there is no junit (timeout, crash). */
function lastFailureLine(out) {
  const lines = out.split('\n').map((l) => l.trim()).filter(Boolean);
  const pick = [...lines].reverse().find((l) => /^(Unexpected error|Expected|error|.*Timed out|.*timed out|.*failed)/i.test(l));
  return (pick ?? lines.at(-1) ?? '').slice(0, 300);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const work = o.work || mkdtempSync(join(tmpdir(), 'skiff-conformance-'));
  mkdirSync(work, { recursive: true });
  console.log(`conformance: work dir ${work}`);
  const skiff = await startSkiff(work, o.nodes, o.unpullableImages);
  const stop = () => {
    for (const pid of running) {
      try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    }
    try { skiff.child.kill('SIGTERM'); } catch { /* gone */ }
  };
  process.on('exit', stop); // also when an error escapes: never leave the server behind
  process.on('SIGINT', () => { stop(); process.exit(130); });
  process.on('SIGTERM', () => { stop(); process.exit(143); });
  try {
    // The list: a dry run reports every focused spec to junit without running it.
    const listDir = join(work, 'list');
    const dry = await run(o.e2e, e2eArgs(o, skiff.kubeconfig, listDir, o.focus, ['--ginkgo.dryRun']), { timeoutMs: 300_000, logFile: join(work, 'list.log') });
    const names = readJunit(listDir).filter((c) => c.status !== 'SKIP').map((c) => c.name);
    if (names.length === 0) throw new Error(`the dry run listed no test (exit ${dry.code}); see ${join(work, 'list.log')}`);
    console.log(`conformance: ${names.length} tests match ${o.focus}${o.skip ? ` (skip ${o.skip})` : ''}`);
    if (o.list) {
      for (const n of names) console.log(n);
      return;
    }
    const done = new Set();
    if (o.resume && existsSync(o.out)) {
      for (const l of readFileSync(o.out, 'utf8').split('\n')) {
        const m = l.match(/^(PASS|FAIL|SKIP|TIMEOUT) (.*)$/);
        if (m) done.add(m[2]);
      }
      appendFileSync(o.out, `# resumed ${new Date().toISOString()}: ${done.size} done, ${o.timeout}s per test, ${o.jobs} side by side\n`);
    } else {
      mkdirSync(dirname(o.out), { recursive: true });
      writeFileSync(o.out, `# skiff vs upstream e2e.test v1.20.2 [Conformance], ${new Date().toISOString()}, ${o.nodes} simulated nodes, ${o.timeout}s per test\n# ${names.length} tests listed\n`);
    }
    const counts = { PASS: 0, FAIL: 0, SKIP: 0, TIMEOUT: 0 };
    const todo = names.filter((n) => !done.has(n)).slice(0, o.limit);
    // Most of a test's time is spent waiting on the cluster, so a few run side by side (--jobs).
    let next = 0;
    let started = 0;
    const runOne = async (name, i, total) => {
      // ginkgo v1 matches focus against "... [Top Level] <junit name>".
      const dir = join(work, 'reports', String(i));
      mkdirSync(dir, { recursive: true });
      const res = await run(o.e2e, e2eArgs(o, skiff.kubeconfig, dir, `\\[Top Level\\] ${escapeRe(name)}$`), { timeoutMs: o.timeout * 1000, logFile: join(dir, 'e2e.log') });
      // The junit report names every spec of the suite; the others are skipped.
      const c = readJunit(dir).find((x) => x.name === name && x.status !== 'SKIP') ?? readJunit(dir).find((x) => x.name === name);
      let line;
      if (res.timedOut) line = { status: 'TIMEOUT', reason: `no result in ${o.timeout}s; last: ${lastFailureLine(res.out)}` };
      else if (c) line = c;
      else line = { status: 'FAIL', reason: `no junit result (exit ${res.code}): ${lastFailureLine(res.out)}` };
      counts[line.status]++;
      const reason = line.reason ? `\n    ${oneLine(line.reason)}` : '';
      appendFileSync(o.out, `${line.status} ${name}${reason}\n`);
      console.log(`[${i}/${total}] ${line.status} ${name}`);
    };
    // [Serial] tests (they count or fill nodes, delete namespaces) run after the rest, one at a time.
    const serial = todo.filter((n) => n.includes('[Serial]'));
    const parallel = todo.filter((n) => !n.includes('[Serial]'));
    let queue = parallel;
    const worker = async () => {
      while (next < queue.length) {
        const idx = next++;
        await runOne(queue[idx], ++started, todo.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(o.jobs, parallel.length) }, worker));
    queue = serial;
    next = 0;
    await worker();
    const summary = `${counts.PASS} passed, ${counts.FAIL + counts.TIMEOUT} failed, ${counts.SKIP} skipped`;
    appendFileSync(o.out, `# ${summary} (${counts.TIMEOUT} of the failures timed out)\n`);
    console.log(summary);
  } finally {
    stop();
  }
}

// Run as a script, not when causes.mjs imports parseJunit.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(`conformance: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
