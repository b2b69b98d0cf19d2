/**
 * Names of what the core emits with Powertools Metrics (EMF). Pure constants, no Powertools import:
 * the CDK dashboard (infra/constructs/monitoring.ts) graphs exactly these.
 */
export const METRICS_NAMESPACE = 'Patron';
export const SERVICE_NAME = 'patron';
/** Powertools' own dimension of every metric, valued SERVICE_NAME. */
export const SERVICE_DIMENSION = 'service';
/** Dimension of the webhook delivery metrics; each outcome (DeliveryOutcome) is a metric name. */
export const SOURCE_DIMENSION = 'source';
/** Milliseconds from a mining run's creation to its completion, one value per completed run. */
export const MINING_RUN_DURATION_METRIC = 'MiningRunDuration';
