import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { IngestObserver } from './ingest/ingest.js';

export const logger = new Logger({ serviceName: 'patron' });
export const metrics = new Metrics({ namespace: 'Patron', serviceName: 'patron' });

/**
 * Delivery metrics per source (accepted, duplicate, ignored, rejected) and one structured log
 * line per delivery. Only ids go in: never emails, phones or payloads.
 */
export function createIngestObserver(log: Logger = logger, m: Metrics = metrics): IngestObserver {
  return {
    delivery(source, outcome, detail) {
      // One delivery per invocation: the dimension applies to this invocation's flush.
      m.addDimension('source', source);
      m.addMetric(outcome, MetricUnit.Count, 1);
      const entry = { source, outcome, ...detail };
      if (outcome === 'rejected') log.warn('webhook rejected', entry);
      else log.info('webhook processed', entry);
    },
  };
}
