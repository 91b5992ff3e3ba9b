/**
 * `--controllers` as kube-controller-manager reads it: a list of names, `*` for every controller enabled by
 * default, `-name` to turn one off. Default `*`.
 */
import type { ControllerDescriptor } from './controller.js';

export function selectControllers(all: readonly ControllerDescriptor[], spec: readonly string[]): ControllerDescriptor[] {
  const known = new Set(all.map((c) => c.name));
  for (const s of spec) {
    const name = s.startsWith('-') ? s.slice(1) : s;
    if (name !== '*' && !known.has(name)) {
      throw new Error(`--controllers: "${name}" is not a known controller (known: ${[...known].sort().join(', ')})`);
    }
  }
  const list = spec.length ? spec : ['*'];
  const on = (c: ControllerDescriptor): boolean => {
    if (list.includes(`-${c.name}`)) return false;
    if (list.includes(c.name)) return true;
    return list.includes('*') && c.enabledByDefault;
  };
  return all.filter(on);
}
