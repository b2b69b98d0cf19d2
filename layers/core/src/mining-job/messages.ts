import { z } from 'zod';
import { MINING_DEFAULTS } from '../mining/defaults.js';

/**
 * Receives of one mining message before SQS parks it in the DLQ (the queue's redrive policy).
 * The worker marks the run failed when the last attempt fails.
 */
export const MINING_MAX_RECEIVES = 5;

/** Every message on the mining queue. Each is safe to deliver twice (see job.ts). */
export const MiningMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('start'), trigger: z.string().default('schedule'), shards: z.number().int().min(1).max(256).optional() }),
  z.object({ kind: z.literal('extract'), runId: z.string(), shard: z.number().int().min(0), totalShards: z.number().int().min(1) }),
  z.object({ kind: z.literal('fit'), runId: z.string() }),
  z.object({ kind: z.literal('score'), runId: z.string(), shard: z.number().int().min(0) }),
  z.object({ kind: z.literal('finalize'), runId: z.string() }),
]);
export type MiningMessage = z.infer<typeof MiningMessage>;

export const StartRunBody = z
  .object({
    shards: z
      .number()
      .int()
      .min(1)
      .max(256)
      .optional()
      .meta({ description: `Parallel scan segments (default MINING_SHARDS or ${MINING_DEFAULTS.shards})` }),
  })
  .strict()
  .meta({ id: 'StartMiningRun' });
