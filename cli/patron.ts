#!/usr/bin/env -S npx tsx
/**
 * patron: the analyst CLI. `npx patron --help` (bin: cli/patron.js, which runs this file
 * through tsx), or `npx tsx cli/patron.ts ...`.
 *
 * Exit codes: 0 ok; 1 bad input file (one line `FILE:LINE: problem`), unreadable file or
 * model fit failure; 2 bad usage (message + usage on stderr). No stack traces unless --debug.
 */
import { pathToFileURL } from 'node:url';
import { CLV_USAGE, runClv } from './clv.js';
import { CliError, UsageError } from './errors.js';
import { processIo, type Io } from './io.js';
import { MINE_USAGE, runMine, type MineDeps } from './mine.js';
import { runSendWebhook, SEND_WEBHOOK_USAGE, type SendWebhookDeps } from './send-webhook.js';

export const USAGE = `Usage: patron <command> [options]

Commands:
  clv    fit BG/NBD, Pareto/NBD, MBG/NBD + Gamma-Gamma to an RFM summary CSV; optional
         per-customer forecast and CLV
  mine   segment customers, score churn probability / CLV, lifecycle and value tiers, and
         flag churn-risk, up-sell, cross-sell, prospect, reorder-due and moment candidates
         from a transaction file; writes CSVs, summary.json and segments.svg
  send-webhook
         sign a webhook body as its provider would and POST it to a running Patron
         (npm start): generic, shopify, stripe or zendesk

Run 'patron <command> --help' for the command's options.
Options: -h, --help  this help; --version  print the version.
`;

const COMMANDS: Record<string, { usage: string }> = {
  clv: { usage: CLV_USAGE },
  mine: { usage: MINE_USAGE },
  'send-webhook': { usage: SEND_WEBHOOK_USAGE },
};

export async function main(argv: readonly string[], io: Io, deps: MineDeps & SendWebhookDeps = {}): Promise<number> {
  const debug = argv.includes('--debug');
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new UsageError('missing command', USAGE);
    if (command === '-h' || command === '--help' || command === 'help') {
      const topic = command === 'help' ? rest[0] : undefined;
      io.stdout.write(topic && COMMANDS[topic] ? COMMANDS[topic].usage : USAGE);
      return 0;
    }
    if (command === '--version') {
      io.stdout.write('patron 0.1.0\n');
      return 0;
    }
    switch (command) {
      case 'clv':
        return runClv(rest, io);
      case 'mine':
        return await runMine(rest, io, deps);
      case 'send-webhook':
        return await runSendWebhook(rest, io, deps);
      default:
        throw new UsageError(
          command.startsWith('-') ? `unknown option '${command}' (options go after the command)` : `unknown command '${command}'`,
          USAGE,
        );
    }
  } catch (err) {
    return report(err, io, debug);
  }
}

function report(err: unknown, io: Io, debug: boolean): number {
  if (err instanceof UsageError) {
    // The message, then the synopsis only (the usage text up to its first blank line): the full
    // option list is one --help away and would bury the line that says what was wrong.
    const synopsis = err.usage.split('\n\n')[0]!.trimEnd();
    const command = /^Usage: (patron(?: [\w-]+)?)/.exec(synopsis)?.[1] ?? 'patron';
    io.stderr.write(`patron: ${err.message}\n\n${synopsis}\n(${command} --help lists every option)\n`);
    return err.exitCode;
  }
  if (err instanceof CliError) {
    io.stderr.write(`patron: ${err.message}\n`);
    if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.stderr.write(`patron: internal error: ${e.message}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && e.stack) io.stderr.write(`${e.stack}\n`);
  return 1;
}

const entry = process.argv[1];
if (entry && import.meta.url === pathToFileURL(entry).href) {
  const code = await main(process.argv.slice(2), processIo());
  process.exitCode = code;
}
