/**
 * An in-memory model of iptables tables, built by applying iptables-restore text with --noflush semantics:
 * a chain line creates or flushes a chain, -A/-I/-D edit rules, -X deletes an empty, unreferenced chain. The
 * tracer walks it; tests apply a full text and then partial texts to it, as the kernel would.
 */

export interface Rule {
  /** Arguments after the chain name, quotes removed. */
  args: string[];
  /** The same arguments re-joined (quoting where needed): the identity -D matches on. */
  spec: string;
}

export const BUILTIN_CHAINS: Record<string, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

/** Targets that are not chains. */
export const BUILTIN_TARGETS = new Set([
  'ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MASQUERADE', 'MARK', 'LOG', 'CONNMARK', 'NOTRACK', 'REDIRECT', 'CT',
]);

/** Splits a rule line into words; double-quoted words keep their spaces. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error('unterminated quote');
      out.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ' ' && line[j] !== '\t') j++;
      out.push(line.slice(i, j));
      i = j;
    }
  }
  return out;
}

function specOf(args: string[]): string {
  return args.map((a) => (a === '' || /[\s"]/.test(a) ? `"${a}"` : a)).join(' ');
}

export class RestoreError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

export class RuleSet {
  readonly tables = new Map<string, Map<string, Rule[]>>();

  static parse(text: string): RuleSet {
    const rs = new RuleSet();
    rs.apply(text);
    return rs;
  }

  table(name: string): Map<string, Rule[]> {
    let t = this.tables.get(name);
    if (!t) {
      t = new Map();
      for (const ch of BUILTIN_CHAINS[name] ?? []) t.set(ch, []);
      this.tables.set(name, t);
    }
    return t;
  }

  chain(table: string, chain: string): Rule[] | undefined {
    return this.tables.get(table)?.get(chain);
  }

  /** Applies restore text as `iptables-restore --noflush` would; throws RestoreError on what it would reject. */
  apply(text: string): void {
    const lines = text.split('\n');
    let table: Map<string, Rule[]> | null = null;
    let tableName = '';
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim();
      const ln = n + 1;
      if (line === '' || line.startsWith('#')) continue;
      if (line.startsWith('*')) {
        if (table) throw new RestoreError(ln, `table ${line.slice(1)} opened before COMMIT of ${tableName}`);
        tableName = line.slice(1);
        table = this.table(tableName);
        continue;
      }
      if (!table) throw new RestoreError(ln, 'rule outside a table');
      if (line === 'COMMIT') {
        table = null;
        continue;
      }
      if (line.startsWith(':')) {
        const name = line.slice(1).split(' ')[0]!;
        if (!name) throw new RestoreError(ln, 'empty chain name');
        if (name.length > 28) throw new RestoreError(ln, `chain name ${name} longer than 28 characters`);
        table.set(name, []);
        continue;
      }
      let words: string[];
      try {
        words = tokenize(line);
      } catch (e) {
        throw new RestoreError(ln, (e as Error).message);
      }
      const [op, chainName, ...rest] = words;
      if (!chainName) throw new RestoreError(ln, `${op} needs a chain`);
      const chain = table.get(chainName);
      switch (op) {
        case '-A':
        case '-I': {
          if (!chain) throw new RestoreError(ln, `chain ${chainName} does not exist`);
          let args = rest;
          let at = 0;
          if (op === '-I' && args.length > 0 && /^\d+$/.test(args[0]!)) {
            at = Number(args[0]) - 1;
            args = args.slice(1);
          }
          this.checkTarget(table, args, ln);
          const rule = { args, spec: specOf(args) };
          if (op === '-A') chain.push(rule);
          else {
            if (at > chain.length) throw new RestoreError(ln, `index ${at + 1} too big for ${chainName}`);
            chain.splice(at, 0, rule);
          }
          break;
        }
        case '-D': {
          if (!chain) throw new RestoreError(ln, `chain ${chainName} does not exist`);
          const spec = specOf(rest);
          const i = chain.findIndex((r) => r.spec === spec);
          if (i < 0) throw new RestoreError(ln, `no rule in ${chainName} matches: ${spec}`);
          chain.splice(i, 1);
          break;
        }
        case '-F':
          if (!chain) throw new RestoreError(ln, `chain ${chainName} does not exist`);
          chain.length = 0;
          break;
        case '-N':
          if (chain) throw new RestoreError(ln, `chain ${chainName} already exists`);
          table.set(chainName, []);
          break;
        case '-X': {
          if (!chain) throw new RestoreError(ln, `chain ${chainName} does not exist`);
          if ((BUILTIN_CHAINS[tableName] ?? []).includes(chainName)) throw new RestoreError(ln, `cannot delete built-in chain ${chainName}`);
          if (chain.length > 0) throw new RestoreError(ln, `chain ${chainName} is not empty`);
          for (const [other, rules] of table) {
            if (rules.some((r) => jumpTarget(r.args) === chainName)) throw new RestoreError(ln, `chain ${chainName} is still referenced from ${other}`);
          }
          table.delete(chainName);
          break;
        }
        default:
          throw new RestoreError(ln, `unsupported command ${op}`);
      }
    }
    if (table) throw new RestoreError(lines.length, `table ${tableName} not committed`);
  }

  private checkTarget(table: Map<string, Rule[]>, args: string[], ln: number): void {
    const t = jumpTarget(args);
    if (t !== null && !BUILTIN_TARGETS.has(t) && !table.has(t)) throw new RestoreError(ln, `jump to undeclared chain ${t}`);
  }

  /**
   * A comparable form: per table and chain, the rule specs; chains in `unordered` are sorted (dispatch chains,
   * whose order a partial sync does not keep).
   */
  canonical(unordered: ReadonlySet<string> = new Set()): Record<string, Record<string, string[]>> {
    const out: Record<string, Record<string, string[]>> = {};
    for (const [tn, t] of [...this.tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const chains: Record<string, string[]> = {};
      for (const [cn, rules] of [...t].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const specs = rules.map((r) => r.spec);
        chains[cn] = unordered.has(cn) ? specs.sort() : specs;
      }
      out[tn] = chains;
    }
    return out;
  }
}

/** The -j target of a rule, or null. */
export function jumpTarget(args: readonly string[]): string | null {
  for (let i = 0; i < args.length - 1; i++) if (args[i] === '-j' || args[i] === '-g') return args[i + 1]!;
  return null;
}
