import { z } from 'zod';
import { priorFrom, smoothedRate } from '../campaigns/stats.js';
import { NotFoundError } from '../errors.js';
import type { ResponseCellSummary } from '../mining-job/responses.js';
import type { FlagDeps } from './flag-service.js';

/**
 * Response rates to offers, as of the latest mining run (which counts them while it reads every
 * customer: mining-job/responses.ts), grouped by the dimensions asked for, each smoothed toward the
 * overall rate so a group of three offers does not read as 0% or 100%.
 */
export const RESPONSE_DIMENSIONS = ['flagType', 'segment', 'channel', 'valueTier'] as const;
type Dimension = (typeof RESPONSE_DIMENSIONS)[number];

export const ResponseRatesQuery = z.object({
  by: z
    .string()
    .max(100)
    .default('flagType')
    .transform((s) => [...new Set(s.split(',').map((d) => d.trim()))])
    .pipe(
      z
        .array(z.enum(RESPONSE_DIMENSIONS, { error: `each dimension must be one of ${RESPONSE_DIMENSIONS.join(', ')}` }))
        .min(1)
        .max(RESPONSE_DIMENSIONS.length),
    )
    .meta({ description: `Comma-separated dimensions to group by: ${RESPONSE_DIMENSIONS.join(', ')} (default flagType)` }),
});

const Counts = {
  offers: z.number().int().meta({ description: 'Offers registered (withdrawn ones left out)' }),
  responded: z.number().int().meta({ description: 'Converted by a purchase, or accepted' }),
  pending: z.number().int().meta({ description: 'Of the offers, those still inside their attribution window without an answer' }),
  rate: z.number().nullable().meta({ description: 'responded / offers to date; null while no offer has been decided (all pending)' }),
};
const Smoothed = z.object({ rate: z.number(), lower: z.number(), upper: z.number() }).meta({
  description:
    'Beta posterior mean and 95% credible interval, shrunk toward the overall rate ((responses + 1) / (offers + 2)) by 20 pseudo-offers',
});

export const ResponseRates = z
  .object({
    runId: z.string(),
    completedAt: z.string().optional(),
    by: z.array(z.enum(RESPONSE_DIMENSIONS)),
    overall: z.object(Counts),
    items: z.array(
      z.object({
        flagType: z.string().nullable().optional(),
        segment: z.string().nullable().optional(),
        channel: z.string().nullable().optional(),
        valueTier: z.string().nullable().optional(),
        ...Counts,
        smoothed: Smoothed,
      }),
    ),
    cellsLeftOut: z.number().int().meta({ description: 'Rarest targeting cells the run summary did not keep (see the run artifacts)' }),
    method: z.string(),
  })
  .meta({ id: 'ResponseRates' });
export type ResponseRates = z.infer<typeof ResponseRates>;

const METHOD =
  'Response rate to date: responses (converted by a purchase attributed at ingest, or accepted) per offer registered; offers ' +
  'still inside their attribution window count as not yet answered (pending says how many), so a young campaign reads low ' +
  'rather than high. Each group is smoothed toward the overall rate ' +
  "(a Beta prior of 20 pseudo-offers at (responses + 1) / (offers + 2) over all offers: the overall rate kept off 0 and 1); flagType, segment and valueTier are the offer's targeting at registration. " +
  'A response rate includes customers who would have bought anyway: for the effect of acting, see a campaign with a control group.';

export async function responseRates(deps: FlagDeps, by: readonly Dimension[]): Promise<ResponseRates> {
  const runId = await deps.runs.latestRunId();
  if (!runId) throw new NotFoundError('No mining run has completed yet: POST /mining-runs starts one');
  const run = await deps.runs.getRun(runId, false);
  const stored = (run?.summary?.responses ?? { cells: [], cellsLeftOut: 0 }) as { cells: ResponseCellSummary[]; cellsLeftOut: number };
  const total = { offers: 0, responded: 0, pending: 0 };
  const groups = new Map<string, { key: Partial<Record<Dimension, string | null>>; offers: number; responded: number; pending: number }>();
  for (const cell of stored.cells) {
    total.offers += cell.offers;
    total.responded += cell.responded;
    total.pending += cell.pending;
    const key = Object.fromEntries(by.map((d) => [d, cell[d]])) as Partial<Record<Dimension, string | null>>;
    const id = JSON.stringify(by.map((d) => cell[d]));
    const g = groups.get(id) ?? { key, offers: 0, responded: 0, pending: 0 };
    g.offers += cell.offers;
    g.responded += cell.responded;
    g.pending += cell.pending;
    groups.set(id, g);
  }
  const prior = priorFrom(total.responded, total.offers);
  // Nothing decided yet (every offer pending, none answered) is no rate, not 0%.
  const rate = (x: number, n: number, pending = 0) => (n > 0 && (x > 0 || n > pending) ? x / n : null);
  return {
    runId,
    ...(run?.completedAt ? { completedAt: run.completedAt } : {}),
    by: [...by],
    overall: { ...total, rate: rate(total.responded, total.offers, total.pending) },
    items: [...groups.values()]
      .sort((a, b) => b.offers - a.offers || JSON.stringify(a.key).localeCompare(JSON.stringify(b.key)))
      .map((g) => {
        const s = smoothedRate(g.responded, g.offers, prior);
        return {
          ...g.key,
          offers: g.offers,
          responded: g.responded,
          pending: g.pending,
          rate: rate(g.responded, g.offers, g.pending),
          smoothed: { rate: s.rate, lower: s.lower, upper: s.upper },
        };
      }),
    cellsLeftOut: stored.cellsLeftOut,
    method: METHOD,
  };
}
