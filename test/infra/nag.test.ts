import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { type SynthesizedPatron, synthPatron } from './synth.js';

/**
 * cdk-nag v3 runs as a CDK policy-validation plugin (infra/bin/app.ts registers it, so a finding
 * fails `cdk synth`). Here the pack is run directly on the synthesized stack so a failure lists
 * every finding. Acknowledgments are `Validations.of(construct).acknowledge({ id, reason })`.
 */
let synth: SynthesizedPatron;

beforeAll(() => {
  // Rules read resource properties only: no esbuild bundles, and the built-in CloudFormation
  // validation already runs in stack.test.ts.
  synth = synthPatron({ bundle: false, cfnValidation: false });
}, 120_000);

interface Acknowledgment {
  path: string;
  id: string;
  reason: string;
}

function acknowledgments(root: IConstruct): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, value] of Object.entries(entry.data as Record<string, unknown>)) {
        const reason = typeof value === 'string' ? value : String((value as { reason?: unknown })?.reason ?? '');
        found.push({ path: c.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(synth.stack);
    const findings = report.violations.map((v) => ({
      rule: v.ruleName,
      severity: v.severity,
      resources: v.violatingResources.map((r) => r.constructPath),
    }));
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives a written reason for every acknowledgment', () => {
    const acks = acknowledgments(synth.stack).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(0);
    const weak = acks.filter((a) => a.reason.trim().length < 40);
    expect(weak).toEqual([]);
  });

  it('acknowledges IAM5 only for specific findings, never for the whole rule', () => {
    const blanket = acknowledgments(synth.stack).filter((a) => a.id === 'AwsSolutions-IAM5' || a.id === 'AwsSolutions-IAM4');
    expect(blanket).toEqual([]);
  });

  it('catches a non-compliant resource (the check is live)', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { Bucket } = await import('aws-cdk-lib/aws-s3');
    const stack = new Stack(new App(), 'Probe');
    new Bucket(stack, 'Plain');
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});
