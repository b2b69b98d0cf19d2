/**
 * Durations, defined once for the core, the CLI, the demo, the bench and the tests. JS time has
 * no leap seconds, so a UTC day is always DAY_MS.
 */
export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
export const WEEK_MS = 7 * DAY_MS;
/** A day in seconds: DynamoDB TTL attributes are epoch seconds. */
export const DAY_S = DAY_MS / SECOND_MS;
