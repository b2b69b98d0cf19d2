/**
 * Shared by the infra tests: builds the Patron stack the way `cdk synth` does (same context
 * flags as cdk.json, no env, so no credentials) and synthesizes it once.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { fromRoot } from '../../infra/constructs/paths.js';
import type { FunctionDefinition } from '../../infra/definitions.js';
import { PatronStack } from '../../infra/stacks/patron-stack.js';

export interface SynthesizedPatron {
  app: App;
  stack: PatronStack;
  template: Template;
  assembly: CloudAssembly;
  outdir: string;
}

export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(fromRoot('cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdkJson.context ?? {};
}

export interface SynthOptions {
  /**
   * Run esbuild for the layer and every function (seconds). Tests that only read resource
   * properties (cdk-nag) skip it, like `cdk synth --exclusively` would for other stacks.
   * @default true
   */
  bundle?: boolean;
  /**
   * CDK's built-in CloudFormation template validation, which `cdk synth` runs (about 10 s on a
   * cold process). One test file keeps it on; the others need not repeat it.
   * @default true
   */
  cfnValidation?: boolean;
  /** Extra context, as `cdk synth -c key=value` would give. */
  context?: Record<string, unknown>;
  /** Function definitions other than FUNCTIONS (e.g. one with a grant removed). */
  definitions?: readonly FunctionDefinition[];
}

export function synthPatron({ bundle = true, cfnValidation = true, context = {}, definitions }: SynthOptions = {}): SynthesizedPatron {
  const outdir = mkdtempSync(join(tmpdir(), 'patron-infra-test-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: cfnValidation,
    context: {
      ...cdkJsonContext(),
      // Lets tests find the staged bundles (aws:asset:path), as the CLI does.
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:enable-path-metadata': true,
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  const stack = new PatronStack(app, 'Patron', { definitions });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return { app, stack, template, assembly, outdir };
}

/** The logical id CloudFormation sees for a construct's (default) CfnElement. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, any>; Metadata?: Record<string, any>; [k: string]: any }
>;

/** The stack's properties without bundles or CloudFormation validation (stack.test.ts runs that), and its resources by type. */
export function synthProperties(): SynthesizedPatron & { resources: Resources; ofType: (type: string) => [string, Resources[string]][] } {
  const synth = synthPatron({ bundle: false, cfnValidation: false });
  const resources = synth.template.toJSON().Resources as Resources;
  return { ...synth, resources, ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type) };
}
