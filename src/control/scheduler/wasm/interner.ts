/** Strings to dense integer ids (label keys, label values, images, taints, host IPs): ids only ever grow. */
export class Interner {
  private ids = new Map<string, number>();
  readonly names: string[] = [];

  constructor(preset: string[] = []) {
    for (const s of preset) this.intern(s);
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(s, id);
      this.names.push(s);
    }
    return id;
  }

  /** The id, or `missing` when the string was never interned (so nothing in the table can carry it). */
  lookup(s: string, missing = -2): number {
    return this.ids.get(s) ?? missing;
  }

  get size(): number { return this.names.length; }
}
