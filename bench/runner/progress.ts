/**
 * A one-line progress bar on stderr, redrawn at most every 100 ms; silent when stderr is not a terminal, so
 * logs and CI output stay clean. stdout is left to the tables.
 */
export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function progress(label: string, total: number): Progress {
  const tty = process.stderr.isTTY === true;
  let count = 0;
  let drawn = 0;
  const draw = () => {
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    const width = 30;
    const full = Math.round(frac * width);
    process.stderr.write(`\r${label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${count}/${total}`);
    drawn = Date.now();
  };
  return {
    tick(n = 1) {
      count += n;
      if (tty && Date.now() - drawn >= 100) draw();
    },
    done() {
      if (!tty) return;
      draw();
      process.stderr.write('\n');
    },
  };
}
