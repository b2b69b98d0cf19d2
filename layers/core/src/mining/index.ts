/** Public API of the mining core. */
export type * from './types.js';
export * from './clv/index.js';
export * from './features.js';
export * from './matrix.js';
export * from './scaling.js';
export * from './kmeans.js';
export * from './segments.js';
export * from './metrics.js';
export * from './churn.js';
export * from './association.js';
export * from './cross-sell.js';
export * from './up-sell.js';
export * from './pipeline.js';
export * from './defaults.js';
