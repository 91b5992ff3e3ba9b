/**
 * Jump consistency: every -j/-g target in a restore text is a built-in target or a chain declared in the same
 * table (by this text, or already present in `base` for a partial text applied on top of it).
 */
import { BUILTIN_CHAINS, BUILTIN_TARGETS, RuleSet, jumpTarget, tokenize } from './ruleset.js';

export function checkJumps(text: string, base?: RuleSet): string[] {
  const errors: string[] = [];
  const declared = new Map<string, Set<string>>();
  const jumps: Array<{ table: string; target: string; line: number }> = [];
  let table = '';
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      if (!declared.has(table)) declared.set(table, new Set([...(BUILTIN_CHAINS[table] ?? []), ...(base?.tables.get(table)?.keys() ?? [])]));
    } else if (line.startsWith(':')) {
      declared.get(table)?.add(line.slice(1).split(' ')[0]!);
    } else if (line.startsWith('-A') || line.startsWith('-I')) {
      const t = jumpTarget(tokenize(line));
      if (t !== null && !BUILTIN_TARGETS.has(t)) jumps.push({ table, target: t, line: n + 1 });
    }
  }
  for (const j of jumps) {
    if (!declared.get(j.table)?.has(j.target)) errors.push(`line ${j.line}: jump to undeclared chain ${j.target} in table ${j.table}`);
  }
  return errors;
}
