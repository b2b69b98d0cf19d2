import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { MiddlewareObj } from '@middy/core';
import type { IngestObserver } from './ingest/ingest.js';
import { METRICS_NAMESPACE, SERVICE_NAME, SOURCE_DIMENSION } from './metric-names.js';

export const logger = new Logger({ serviceName: SERVICE_NAME });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });
/**
 * One Tracer for the whole core, so every captured client and handler segment share it. Powertools
 * turns it into a no-op outside Lambda (unit tests, local runtime) and with POWERTOOLS_TRACE_ENABLED=false.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });

/**
 * Flushes EMF only when something was recorded. For handlers that record a metric on few
 * invocations (the mining worker): logMetrics would log a warning on every empty flush.
 */
export function flushRecordedMetrics(m: Metrics = metrics): MiddlewareObj {
  const flush = () => {
    if (m.hasStoredMetrics()) m.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
}

/**
 * Delivery metrics per source (accepted, duplicate, ignored, rejected) and one structured log
 * line per delivery. Only ids go in: never emails, phones or payloads.
 */
export function createIngestObserver(log: Logger = logger, m: Metrics = metrics): IngestObserver {
  return {
    delivery(source, outcome, detail) {
      // One delivery per invocation: the dimension applies to this invocation's flush.
      m.addDimension(SOURCE_DIMENSION, source);
      m.addMetric(outcome, MetricUnit.Count, 1);
      const entry = { source, outcome, ...detail };
      if (outcome === 'rejected') log.warn('webhook rejected', entry);
      else log.info('webhook processed', entry);
    },
  };
}
