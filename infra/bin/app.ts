import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PatronStack } from '../stacks/patron-stack.js';

const app = new App();

// Pinned to the CLI's account/region once credentials resolve both; environment-agnostic
// otherwise (the CLI always fills a default region, so the region alone is not enough). The
// stack does no lookups, so `cdk synth` works offline.
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new PatronStack(app, 'Patron', {
  env: account && region ? { account, region } : undefined,
});

// cdk-nag v3 is a policy-validation plugin (v2's Aspects API is gone): any unacknowledged
// finding fails `cdk synth`. Acknowledgments live next to the resources they concern.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

app.synth();
