/**
 * Phase progress on stderr: cli-progress bars when stderr is a terminal, otherwise (pipes,
 * CI, tests) one plain line per finished phase. `quiet` silences both.
 */
import cliProgress from 'cli-progress';
import type { Io } from './io.js';

export interface Phase {
  /** Update the bar (ignored without a TTY). A new `label` switches the sub-step shown. */
  update(done: number, total: number, label?: string): void;
  /** Finish the phase; `detail` goes on the summary line. Returns the elapsed ms. */
  end(detail?: string): number;
}

export interface Reporter {
  phase(name: string): Phase;
  /** A free-standing note (not with --quiet). */
  note(message: string): void;
}

export function reporter(io: Io, quiet: boolean): Reporter {
  const tty = !quiet && io.stderrIsTTY;
  return {
    note(message) {
      if (!quiet) io.stderr.write(`${message}\n`);
    },
    phase(name) {
      const started = performance.now();
      let bar: cliProgress.SingleBar | undefined;
      if (tty) {
        bar = new cliProgress.SingleBar(
          {
            stream: io.stderr as NodeJS.WritableStream,
            format: `${name.padEnd(6)} [{bar}] {percentage}% | {step}`,
            hideCursor: true,
            clearOnComplete: false,
            barsize: 30,
            fps: 10,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(1, 0, { step: '' });
      }
      let lastLabel = '';
      return {
        update(done, total, label) {
          if (!bar) return;
          if (label !== undefined) lastLabel = label;
          bar.setTotal(Math.max(total, 1));
          bar.update(Math.min(done, Math.max(total, 1)), { step: lastLabel });
        },
        end(detail) {
          const ms = Math.round(performance.now() - started);
          const line = `${name}: ${detail ? `${detail}, ` : ''}${ms} ms`;
          if (bar) {
            bar.setTotal(1);
            bar.update(1, { step: line });
            bar.stop();
          } else if (!quiet) {
            io.stderr.write(`${line}\n`);
          }
          return ms;
        },
      };
    },
  };
}
