import { Aws, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  OAuthScope,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { SCOPES } from '../../layers/core/src/http/api-keys.js';

/** Cognito's rule for a hosted UI prefix (lower-case letters, digits, inner hyphens; no aws/amazon/cognito). */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_IN_PREFIX = /aws|amazon|cognito/;

/**
 * The CDK context `signInDomainPrefix` (`-c signInDomainPrefix=acme-patron`): the hosted UI's
 * `<prefix>.auth.<region>.amazoncognito.com`, which must be unique in the Region across all AWS
 * accounts. Validated at synth. Undefined = derived from the stack (see PatronSignIn).
 */
export function signInDomainPrefixFromContext(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !DOMAIN_PREFIX.test(value) || RESERVED_IN_PREFIX.test(value)) {
    throw new Error(
      'CDK context signInDomainPrefix must be 1-63 lower-case letters, digits and inner hyphens, without aws, amazon or cognito ' +
        `(e.g. -c signInDomainPrefix=acme-patron), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export interface PatronSignInProps {
  /** Where the hosted UI sends users back after sign-in and sign-out: the console, `<API endpoint>/console`. */
  readonly consoleUrl: string;
  /** @default `<stack name>-<first 8 hex digits of the stack's GUID>`, unique per deployment */
  readonly domainPrefix?: string;
}

/**
 * Sign-in for the web console: a Cognito user pool (administrators create users; email is the
 * username; TOTP MFA required), one group per API scope (a user's groups are their scopes:
 * http/api-keys.ts, SCOPES), the hosted UI on a Cognito domain, and the console's public app
 * client (no secret; authorization code grant only, which the hosted UI runs with PKCE for a
 * public client). The API verifies the client's access tokens (http/user-tokens.ts).
 */
export class PatronSignIn extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly domain: UserPoolDomain;
  /** One group per scope, by scope. */
  readonly groups: ReadonlyMap<string, CfnUserPoolGroup>;
  /** The hosted UI's host name, `<prefix>.auth.<region>.amazoncognito.com` (SIGN_IN_DOMAIN). */
  readonly domainHost: string;

  constructor(scope: Construct, id: string, props: PatronSignInProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      // Users are people with access to customer data: an administrator creates them (README).
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      // An authenticator app only: SMS would need an SNS role and a spend limit, and is weaker.
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Threat protection (advanced security) needs the Plus plan: off, see the COG8 acknowledgment.
      featurePlan: FeaturePlan.ESSENTIALS,
      userInvitation: {
        emailSubject: 'Your Patron console account',
        emailBody: `You can now sign in to the Patron console at ${props.consoleUrl} as {username} with the temporary password {####}. You will choose a new password and set up an authenticator app.`,
      },
      // Like the table: users and their group memberships are data, kept if the stack is deleted.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection (advanced security) needs the Cognito Plus feature plan, priced per active user; the pool ' +
        'has no self sign-up, requires TOTP MFA and a 14-character password, which covers what it would add for a few operators.',
    });

    const groups = new Map<string, CfnUserPoolGroup>();
    SCOPES.forEach((scopeName, precedence) => {
      groups.set(
        scopeName,
        new CfnUserPoolGroup(this, `Group${scopeName.replace(/(^|[^A-Za-z0-9])([a-z])/g, (_, __, c: string) => c.toUpperCase())}`, {
          userPoolId: this.userPool.userPoolId,
          groupName: scopeName,
          description: `Patron API scope ${scopeName}${scopeName === 'admin' ? ' (holds every scope)' : ''}: members may use the routes that need it`,
          precedence,
        }),
      );
    });
    this.groups = groups;

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? derivedDomainPrefix(this) },
    });
    this.domainHost = Fn.join('', [this.domain.domainName, '.auth.', Aws.REGION, '.amazoncognito.com']);

    this.client = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'patron-console',
      // A browser app cannot keep a secret: a public client. The console always sends a PKCE (S256)
      // challenge (console/src/auth.ts); Cognito accepts one without it, so PKCE rests on the console.
      generateSecret: false,
      // No direct sign-in API flows (SRP, password): people sign in through the hosted UI only.
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false, user: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [props.consoleUrl],
        logoutUrls: [props.consoleUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
  }
}

/**
 * `<stack name>-<8 hex digits>`: the digits are the start of the GUID CloudFormation gives the
 * stack, so two deployments (accounts, Regions, stack names) never ask for the same prefix, and
 * one deployment keeps its prefix for life. Resolved at deploy time, so it is not in the template.
 */
function derivedDomainPrefix(scope: Construct): string {
  const stackName = Stack.of(scope)
    .stackName.toLowerCase()
    .replace(/aws|amazon|cognito/g, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const guid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('-', [stackName || 'patron', Fn.select(0, Fn.split('-', guid))]);
}
