/**
 * `$(VAR)` expansion as the kubelet does it (third_party/forked/golang/expansion): `$(NAME)` becomes the value
 * when NAME is known and stays `$(NAME)` verbatim when not; `$$` is an escaped `$`; a `$` before anything else,
 * or an unclosed `$(`, is kept as written. Expansion happens once: a value that expands to `$(X)` is not expanded
 * again. Used for env values, command/args and subPathExpr.
 */

export type Mapping = (name: string) => string;

/** A mapping that looks names up in each context in turn and leaves unknown references as written. */
export function mappingFuncFor(...contexts: ReadonlyMap<string, string>[]): Mapping {
  return (name) => {
    for (const ctx of contexts) {
      const v = ctx.get(name);
      if (v !== undefined) return v;
    }
    return '$(' + name + ')';
  };
}

export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    let advance = 1;
    if (next === '$') {
      out += '$'; // escaped operator
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close >= 0) {
        out += mapping(input.slice(cursor + 2, close));
        advance = close - cursor;
      } else {
        out += '$('; // incomplete reference: kept, and scanning resumes after the '('
      }
    } else {
      out += '$' + next;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** kubecontainer.ExpandContainerCommandAndArgs: command and args expanded against the container's resolved env (not the image's). */
export function expandCommandAndArgs(
  command: readonly string[] | undefined,
  args: readonly string[] | undefined,
  env: ReadonlyMap<string, string>,
): { command: string[]; args: string[] } {
  const mapping = mappingFuncFor(env);
  return { command: (command ?? []).map((c) => expand(c, mapping)), args: (args ?? []).map((a) => expand(a, mapping)) };
}

/**
 * kubecontainer.ExpandContainerVolumeMounts: subPathExpr against the container's env; unlike env values, a
 * reference to a missing or empty variable is an error naming every such variable (sorted).
 */
export function expandSubPathExpr(expr: string, env: ReadonlyMap<string, string>): string {
  const missing = new Set<string>();
  const expanded = expand(expr, (name) => {
    const v = env.get(name);
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw new Error(`missing value for ${[...missing].sort().join(', ')}`);
  return expanded;
}
