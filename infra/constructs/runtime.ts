import { Runtime } from 'aws-cdk-lib/aws-lambda';

/**
 * The one Node.js major Patron runs on, in Lambda and locally (package.json pins the `node`
 * package to the same major, and the embedded runtime refuses another). nodejs22.x is deprecated
 * on 2027-04-30; nodejs24.x is current.
 */
export const NODE_MAJOR = 24;
export const LAMBDA_RUNTIME: Runtime = Runtime.NODEJS_24_X;
/** esbuild's target for function and layer bundles. */
export const ESBUILD_TARGET = `node${NODE_MAJOR}`;
