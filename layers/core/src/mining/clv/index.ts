export * from './errors.js';
export * from './special.js';
export * from './optimize.js';
export * from './bgnbd.js';
export * from './gamma-gamma.js';
export * from './clv.js';
export * from './pareto-nbd.js';
export * from './mbgnbd.js';
