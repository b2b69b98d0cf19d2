export * from './errors.js';
export * from './config.js';
export * from './touchpoint.js';
export type * from './ingest/sources/types.js';
