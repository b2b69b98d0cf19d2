/**
 * There is no local Cognito: a function variable that references a Cognito resource is empty
 * locally (local/deployed/template.ts, isLocallyUnconfigured), so the functions see sign-in as not
 * configured. Everything else still resolves, or fails loudly, as before.
 */
import { type CfnTemplate, isLocallyUnconfigured, referencedIds } from '../../../local/deployed/template.js';

const template: CfnTemplate = {
  Resources: {
    Pool: { Type: 'AWS::Cognito::UserPool' },
    Client: { Type: 'AWS::Cognito::UserPoolClient' },
    Domain: { Type: 'AWS::Cognito::UserPoolDomain' },
    Table: { Type: 'AWS::DynamoDB::Table' },
  },
};

describe('sign-in variables on the local stack', () => {
  it.each([
    ['SIGN_IN_USER_POOL_ID', { Ref: 'Pool' }],
    ['SIGN_IN_CLIENT_ID', { Ref: 'Client' }],
    ['SIGN_IN_DOMAIN', { 'Fn::Join': ['', [{ Ref: 'Domain' }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com']] }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub placeholders, on purpose.
    ['a Sub over the pool', { 'Fn::Sub': 'https://cognito-idp.${AWS::Region}.amazonaws.com/${Pool}' }],
    ['a GetAtt of the pool', { 'Fn::GetAtt': ['Pool', 'Arn'] }],
  ])('%s is empty (not configured)', (_name, value) => {
    expect(isLocallyUnconfigured(value, template)).toBe(true);
  });

  it.each([
    ['a table name', { Ref: 'Table' }],
    ['a plain value', 'eu-west-1_Abc'],
    ['a resource the template does not have', { Ref: 'Missing' }],
  ])('%s is not touched', (_name, value) => {
    expect(isLocallyUnconfigured(value, template)).toBe(false);
  });

  it('finds references at any depth', () => {
    expect(referencedIds({ 'Fn::Join': ['', [{ Ref: 'A' }, { 'Fn::Select': [0, { 'Fn::GetAtt': ['B', 'Arn'] }] }]] })).toEqual(['A', 'B']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub placeholders, on purpose.
    expect(referencedIds({ 'Fn::Sub': '${A}-${B.Arn}-${AWS::Region}' })).toEqual(['A', 'B', 'AWS::Region']);
  });
});
