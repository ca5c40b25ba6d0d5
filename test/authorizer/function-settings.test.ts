/**
 * The settings of the REST JWT authorizer that `ApiAuthorizer.jwt` and `JwtAuthorizerFunction`
 * take as Durations: checked at synth, and handed to the function as whole seconds it accepts.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { ApiAuthorizer, JwtAuthorizerFunction, JwtAuthorizerOptions, Microservice, MicroservicePlatform } from '../../lib';
import { configFromEnv } from '../../lambda/jwt-authorizer/authorizer';
import { IMAGE, testApp } from '../util';

const ISSUER = 'https://idp.example.com';
const JWT = { issuer: ISSUER, audience: ['partner-api'] };

/** The environment of the Lambda authorizer of a REST service on a platform with `ApiAuthorizer.jwt(options)`. */
function restAuthorizerEnvironment(options: Partial<JwtAuthorizerOptions>): { [name: string]: string } {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', {
    auth: ApiAuthorizer.jwt({ ...JWT, ...options }),
    manageApiGatewayAccount: false,
  });
  const stack = new Stack(app, 'Partners');
  new Microservice(stack, 'Partners', {
    platform,
    image: IMAGE,
    restApi: { routes: [{ path: '/quotes', methods: [apigwv2.HttpMethod.GET], scopes: ['quotes:read'] }] },
  });
  const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .filter((f) => f.Properties.Environment?.Variables?.JWT_ISSUER === ISSUER);
  expect(functions).toHaveLength(1);
  return functions[0].Properties.Environment.Variables;
}

describe('maxTokenLifetime and jwksCacheTtl', () => {
  test('reach the REST authorizer function in whole seconds, which its handler reads', () => {
    const env = restAuthorizerEnvironment({ maxTokenLifetime: Duration.hours(1), jwksCacheTtl: Duration.minutes(5) });
    expect(env).toMatchObject({ JWT_MAX_LIFETIME_SECONDS: '3600', JWT_JWKS_CACHE_TTL_SECONDS: '300' });
    expect(configFromEnv(env)).toMatchObject({ maxTokenLifetimeSeconds: 3600, jwksCacheTtlSeconds: 300 });
  });

  test("are left out when not set: the handler's defaults (24 hours, 10 minutes) apply", () => {
    const env = restAuthorizerEnvironment({});
    expect(Object.keys(env).sort()).toEqual(['JWT_AUDIENCE', 'JWT_ISSUER', 'JWT_ROUTES']);
  });

  test('accept both ends of their ranges', () => {
    for (const maxTokenLifetime of [Duration.minutes(1), Duration.days(7)]) {
      expect(() => ApiAuthorizer.jwt({ ...JWT, maxTokenLifetime })).not.toThrow();
    }
    for (const jwksCacheTtl of [Duration.minutes(1), Duration.days(1)]) {
      expect(() => ApiAuthorizer.jwt({ ...JWT, jwksCacheTtl })).not.toThrow();
    }
  });

  test('fails when maxTokenLifetime is below 1 minute, above 7 days or not whole seconds', () => {
    expect(() => ApiAuthorizer.jwt({ ...JWT, maxTokenLifetime: Duration.seconds(59) }))
      .toThrow('Invalid props for ApiAuthorizer.jwt:\n  - maxTokenLifetime must be a whole number of seconds between 60 and 604800, got 59 s');
    expect(() => ApiAuthorizer.jwt({ ...JWT, maxTokenLifetime: Duration.seconds(604_801) }))
      .toThrow('maxTokenLifetime must be a whole number of seconds between 60 and 604800, got 604801 s');
    expect(() => ApiAuthorizer.jwt({ ...JWT, maxTokenLifetime: Duration.millis(90_500) }))
      .toThrow('maxTokenLifetime must be a whole number of seconds between 60 and 604800, got 90.5 s');
  });

  test('fails when jwksCacheTtl is below 1 minute or above 1 day', () => {
    expect(() => ApiAuthorizer.jwt({ ...JWT, jwksCacheTtl: Duration.seconds(59) }))
      .toThrow('Invalid props for ApiAuthorizer.jwt:\n  - jwksCacheTtl must be a whole number of seconds between 60 and 86400, got 59 s');
    expect(() => ApiAuthorizer.jwt({ ...JWT, jwksCacheTtl: Duration.seconds(86_401) }))
      .toThrow('jwksCacheTtl must be a whole number of seconds between 60 and 86400, got 86401 s');
  });

  test('JwtAuthorizerFunction checks them too, naming each prop', () => {
    const stack = new Stack(testApp(), 'S');
    expect(() => new JwtAuthorizerFunction(stack, 'Fn', {
      ...JWT,
      methodScopes: { 'GET /quotes': [] },
      maxTokenLifetime: Duration.days(8),
      jwksCacheTtl: Duration.millis(1500),
    })).toThrow("Invalid props for JwtAuthorizerFunction 'S/Fn':\n"
      + '  - maxTokenLifetime must be a whole number of seconds between 60 and 604800, got 691200 s\n'
      + '  - jwksCacheTtl must be a whole number of seconds between 60 and 86400, got 1.5 s');
  });

  test("count against the function's 4096-byte environment", () => {
    // Routes that leave exactly room for JWT_MAX_LIFETIME_SECONDS=86400 (29 bytes).
    const fixed = 'JWT_ISSUER'.length + ISSUER.length + 'JWT_AUDIENCE'.length + JSON.stringify(JWT.audience).length + 'JWT_ROUTES'.length;
    const empty = JSON.stringify({ 'GET /quotes': [''] }).length;
    const methodScopes = { 'GET /quotes': ['s'.repeat(4096 - 29 - fixed - empty)] };
    const make = (id: string, maxTokenLifetime: Duration) => () => new JwtAuthorizerFunction(new Stack(testApp(), id), 'Fn', { ...JWT, methodScopes, maxTokenLifetime });
    expect(make('Fits', Duration.hours(24))).not.toThrow();
    expect(make('Over', Duration.days(2))).toThrow(/must fit the Lambda authorizer's environment \(4096 bytes with issuer and audience\), got 4097 bytes/);
  });
});

test('JwtAuthorizerFunction refuses a logGroup of yours with logRetention or logEncryptionKey: they would not apply', () => {
  const stack = new Stack(testApp(), 'S');
  const logGroup = new logs.LogGroup(stack, 'Mine');
  const base = { issuer: ISSUER, audience: ['a'], methodScopes: { 'GET /a': ['a/read'] }, logGroup };
  expect(() => new JwtAuthorizerFunction(stack, 'A', { ...base, logRetention: logs.RetentionDays.ONE_DAY }))
    .toThrow('logGroup and logRetention are mutually exclusive (the log group is yours, with its retention): give one or neither, got both');
  expect(() => new JwtAuthorizerFunction(stack, 'B', { ...base, logEncryptionKey: new kms.Key(stack, 'K') }))
    .toThrow('logGroup and logEncryptionKey are mutually exclusive (the log group is yours, with its key): give one or neither, got both');
  const fn = new JwtAuthorizerFunction(stack, 'C', base);
  expect(fn.logGroup).toBe(logGroup);
});
