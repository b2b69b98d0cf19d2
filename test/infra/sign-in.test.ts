/**
 * Sign-in for the console (infra/constructs/sign-in.ts): the user pool, a group per API scope,
 * the hosted UI domain, the console's public client, the functions' SIGN_IN_* variables and the
 * outputs. Reads resource properties only, so no bundling.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../layers/core/src/config.js';
import { SCOPES } from '../../layers/core/src/http/api-keys.js';
import { FUNCTIONS, signInOf } from '../../infra/definitions.js';
import { signInDomainPrefixFromContext } from '../../infra/constructs/sign-in.js';
import type { PatronStack } from '../../infra/stacks/patron-stack.js';
import { logicalId, type Resources, synthPatron, synthProperties } from './synth.js';

let stack: PatronStack;
let template: Template;
let resources: Resources;
let ofType: ReturnType<typeof synthProperties>['ofType'];

beforeAll(() => {
  ({ stack, template, resources, ofType } = synthProperties());
}, 120_000);
const poolRef = () => ({ Ref: logicalId(stack.signIn.userPool) });
const clientRef = () => ({ Ref: logicalId(stack.signIn.client) });
const consoleUrl = () => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack.api.httpApi), 'ApiEndpoint'] }, '/console']] });

describe('the user pool', () => {
  it('is one pool: no self sign-up, email as username, strong passwords, TOTP MFA, retained like the table', () => {
    expect(ofType('AWS::Cognito::UserPool')).toHaveLength(1);
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
        UsernameAttributes: ['email'],
        MfaConfiguration: 'ON',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        Policies: {
          PasswordPolicy: Match.objectLike({
            MinimumLength: 14,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          }),
        },
      }),
    });
    const pool = ofType('AWS::Cognito::UserPool')[0]![1].Properties!;
    // Advanced security (threat protection) is off: no add-ons, not the Plus plan.
    expect(pool.UserPoolAddOns).toBeUndefined();
    expect(pool.UserPoolTier).not.toBe('PLUS');
  });

  it('has one group per API scope, named exactly like the scope', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties!);
    expect(groups.map((g) => g.GroupName).sort()).toEqual([...SCOPES].sort());
    for (const g of groups) expect(g.UserPoolId).toEqual(poolRef());
  });

  it('has a hosted UI domain derived from the stack unless the context names one', () => {
    const [[, domain]] = ofType('AWS::Cognito::UserPoolDomain') as [[string, Resources[string]]];
    expect(domain.Properties!.UserPoolId).toEqual(poolRef());
    expect(JSON.stringify(domain.Properties!.Domain)).toContain('AWS::StackId');

    const named = synthPatron({ bundle: false, cfnValidation: false, context: { signInDomainPrefix: 'acme-patron' } });
    named.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-patron' });
  });

  it('refuses a domain prefix Cognito would refuse, at synth', () => {
    expect(signInDomainPrefixFromContext(undefined)).toBeUndefined();
    expect(signInDomainPrefixFromContext('acme-patron')).toBe('acme-patron');
    for (const bad of ['Acme', 'acme_patron', '-acme', 'my-aws-console', 'cognito-x', 42]) {
      expect(() => signInDomainPrefixFromContext(bad)).toThrow(/signInDomainPrefix/);
    }
  });
});

describe("the console's app client", () => {
  it('is public (no secret), authorization code only, openid email profile, back to <API>/console/', () => {
    expect(ofType('AWS::Cognito::UserPoolClient')).toHaveLength(1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: poolRef(),
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [consoleUrl()],
      LogoutURLs: [consoleUrl()],
      SupportedIdentityProviders: ['COGNITO'],
      // No direct sign-in API flows: the hosted UI only (refresh stays).
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });
});

describe('SIGN_IN_* variables', () => {
  const env = (name: string) =>
    (resources[logicalId(stack.functions.byName.get(name)!)]!.Properties!.Environment?.Variables ?? {}) as Record<string, unknown>;

  it.each(FUNCTIONS.map((f) => [f.name, f] as const))('%s gets exactly what its definition asks for', (name, def) => {
    const vars = env(name);
    const access = signInOf(def);
    if (def.secrets?.includes('apiKeys')) expect(access).toBeDefined();
    expect(vars[ENV.signIn.userPoolId]).toEqual(access ? poolRef() : undefined);
    expect(vars[ENV.signIn.clientId]).toEqual(access ? clientRef() : undefined);
    if (access === 'configure') expect(JSON.stringify(vars[ENV.signIn.domain])).toContain(logicalId(stack.signIn.domain));
    else expect(vars[ENV.signIn.domain]).toBeUndefined();
  });

  it('reach the console function, if the stack has one, with the hosted UI domain', () => {
    const console = FUNCTIONS.find((f) => f.name === 'console');
    if (console) expect(signInOf(console)).toBe('configure');
  });
});

it('outputs the user pool id, the client id and the hosted UI domain', () => {
  const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
  expect(outputs.SignInUserPoolId!.Value).toEqual(poolRef());
  expect(outputs.SignInClientId!.Value).toEqual(clientRef());
  expect(JSON.stringify(outputs.SignInDomain!.Value)).toContain('.amazoncognito.com');
});
