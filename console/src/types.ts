/**
 * The API's response shapes, taken from the core's own schemas where they are exported (type
 * imports compile away: nothing of zod or the core ships in the bundle), written here only where
 * the route table keeps them loose or private.
 */
import type { z } from 'zod';
import type { Campaign, CampaignResultsSchema } from '../../layers/core/src/campaigns/schema.js';
import type { Customer360 } from '../../layers/core/src/customers/customer-360.js';
import type { CustomerBrowsePage } from '../../layers/core/src/flags/browse.js';
import type { FlagSchema } from '../../layers/core/src/flags/flag-service.js';
import type { AuditRecord } from '../../layers/core/src/store/offer-store.js';
import type { Decision, Evaluation, Finding, RegisteredOffer } from '../../layers/core/src/offers/schema.js';
import type { FLAG_TYPES, LIFECYCLE_STAGES, SOURCES, VALUE_TIERS } from '../../layers/core/src/vocabulary.js';

export type { Campaign, Customer360, Decision, Evaluation, Finding, RegisteredOffer };
export type Flag = z.infer<typeof FlagSchema>;
export type FlagType = (typeof FLAG_TYPES)[number];
export type Stage = (typeof LIFECYCLE_STAGES)[number];
export type Tier = (typeof VALUE_TIERS)[number];
export type Source = (typeof SOURCES)[number];

export interface Me {
  principal: string;
  kind: 'api-key' | 'user';
  scopes: string[];
}

export type BrowsePage = CustomerBrowsePage;
export type BrowseItem = CustomerBrowsePage['items'][number];

export interface SegmentRow {
  name: string;
  size: number;
  share: number;
  /** Absent for the prospects (no purchase to describe). */
  centroid?: Record<string, number>;
}
export interface TierRow {
  tier: Tier;
  customers: number;
  share: number;
  meanClvMinor: number;
  meanSpendMinor: number;
  clvShare: number;
}
export interface SegmentsView {
  runId: string;
  completedAt?: string;
  k?: number;
  segments: SegmentRow[];
  tiers: TierRow[];
}
export interface FunnelView {
  runId: string;
  completedAt?: string;
  funnel: {
    stages: Record<string, number>;
    reached: { known: number; bought: number; repeated: number; loyal: number };
    conversion: { prospectToFirst: number | null; firstToRepeat: number | null; repeatToLoyal: number | null };
  } | null;
  tiers: TierRow[];
}

export interface FlagPage {
  runId: string;
  items: Flag[];
  nextCursor: string | null;
}

export interface Touchpoint {
  id: string;
  type: string;
  source: string;
  occurredAt: string;
  data: Record<string, unknown>;
}
export interface TouchpointPage {
  items: Touchpoint[];
  nextCursor: string | null;
}

export type Offer = RegisteredOffer & { status: string; updatedAt: string; createdAt?: string };
export type OfferAudit = AuditRecord;

export interface MiningRun {
  runId: string;
  trigger: string;
  phase: 'extracting' | 'fitting' | 'scoring' | 'finalizing' | 'completed' | 'failed';
  shards: { total: number; extracted: number; scored: number };
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  timingsMs: Record<string, number>;
  summary: Record<string, unknown> | null;
  errors: { phase: string; shard?: number; message: string; at: string }[];
  skippedCount?: number;
}

export type CampaignResults = z.infer<typeof CampaignResultsSchema>;

export type Outcome = 'accepted' | 'duplicate' | 'ignored' | 'parked' | 'rejected';
export interface SourceHealth {
  source: string;
  lastDeliveryAt: string | null;
  lastRejectedAt: string | null;
  stale: boolean;
  silentForSeconds: number | null;
  last24h: Record<Outcome, number>;
  last7d: Record<Outcome, number>;
}
export interface SourcesView {
  asOf: string;
  staleAfterHours: number;
  flushIntervalSeconds: number;
  sources: SourceHealth[];
}
