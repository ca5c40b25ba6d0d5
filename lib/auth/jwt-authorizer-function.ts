import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Tokenization, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PropErrors } from '../private/validation';

/** Props of {@link JwtAuthorizerFunction}. */
export interface JwtAuthorizerFunctionProps {
  /** The issuer URL: the exact `iss` claim. */
  readonly issuer: string;
  /** Accepted audiences (`aud`, or `client_id` when a token has no `aud`). */
  readonly audience: string[];
  /**
   * The issuer's JWKS URL.
   *
   * @default - `jwks_uri` of the issuer's OIDC discovery document
   */
  readonly jwksUri?: string;
  /** Scopes (any of) each method requires, by `<METHOD> <resource path>`; [] for any valid token. */
  readonly methodScopes: { [methodKey: string]: string[] };
  /**
   * Retention of the function's log.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A KMS key for the function's log group. Its policy must let CloudWatch Logs use it.
   *
   * @default - encrypted by CloudWatch Logs with its own key
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * A log group for the function's log, instead of one of its own (`logRetention` and
   * `logEncryptionKey` then do not apply).
   *
   * @default - a log group of its own, kept when the function goes
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * Concurrent executions reserved for the function: guaranteed to it, and its ceiling.
   *
   * @default - none reserved: the function shares the account's unreserved concurrency
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Longest token lifetime accepted, whole seconds from 1 minute to 7 days: `exp - iat`, or from now
   * to `exp` for a token without `iat`; a longer-lived token is refused (401).
   *
   * @default Duration.hours(24)
   */
  readonly maxTokenLifetime?: Duration;
  /**
   * How long fetched signing keys are used before the JWKS is fetched again, whole seconds from 1
   * minute to 1 day. When that fetch fails, the keys fetched last keep verifying for as long again
   * at most; then every token is refused until a fetch succeeds.
   *
   * @default Duration.minutes(10)
   */
  readonly jwksCacheTtl?: Duration;
}

/** Lambda's limit on the total size of a function's environment variables. */
const MAX_ENVIRONMENT_BYTES = 4096;

/** `maxTokenLifetime`: 1 minute to 7 days, in seconds (the handler's default is 24 hours). */
const MAX_TOKEN_LIFETIME_SECONDS = { min: 60, max: 7 * 86_400 };
/** `jwksCacheTtl`: 1 minute to 1 day, in seconds (the handler's default is 10 minutes). */
const JWKS_CACHE_TTL_SECONDS = { min: 60, max: 86_400 };

/** Checks the authorizer's Duration settings, as `ApiAuthorizer.jwt` and `JwtAuthorizerFunction` take them. */
export function checkJwtAuthorizerDurations(errors: PropErrors, settings: { maxTokenLifetime?: Duration; jwksCacheTtl?: Duration }): void {
  errors.seconds('maxTokenLifetime', settings.maxTokenLifetime, MAX_TOKEN_LIFETIME_SECONDS.min, MAX_TOKEN_LIFETIME_SECONDS.max);
  errors.seconds('jwksCacheTtl', settings.jwksCacheTtl, JWKS_CACHE_TTL_SECONDS.min, JWKS_CACHE_TTL_SECONDS.max);
}

/** A Duration as the whole seconds of an environment variable (a token stays one). */
const secondsVariable = (d: Duration): string => Tokenization.stringifyNumber(d.toSeconds());

/**
 * The REST Lambda authorizer of a non-Cognito issuer: TypeScript on aws-jwt-verify, bundled when
 * the library is built and shipped in the package (`assets/jwt-authorizer`), so synthesis needs
 * neither esbuild nor Docker and the asset hash is the same on every machine.
 *
 * It answers 401 for a missing, malformed, oversized, badly signed, expired or foreign token and
 * 403 (a Deny policy) when the token lacks the method's scopes; it never logs a token.
 */
export class JwtAuthorizerFunction extends Construct {
  /** Directory of the bundled handler. */
  public static readonly ASSET_DIR = findAssetDir();

  /** The function. */
  public readonly function: lambda.Function;
  /** Its log group. */
  public readonly logGroup: logs.ILogGroup;

  constructor(scope: Construct, id: string, props: JwtAuthorizerFunctionProps) {
    super(scope, id);
    const errors = new PropErrors(`JwtAuthorizerFunction '${this.node.path}'`);
    checkJwtAuthorizerDurations(errors, props);
    errors.exclusive('logGroup', props.logGroup, 'logRetention', props.logRetention, 'the log group is yours, with its retention');
    errors.exclusive('logGroup', props.logGroup, 'logEncryptionKey', props.logEncryptionKey, 'the log group is yours, with its key');
    errors.throwIfAny();
    // Unset settings stay out: the handler's defaults are those documented here.
    const environment: { [key: string]: string } = {
      JWT_ISSUER: props.issuer,
      JWT_AUDIENCE: JSON.stringify(props.audience),
      JWT_ROUTES: JSON.stringify(props.methodScopes),
      ...(props.jwksUri ? { JWT_JWKS_URI: props.jwksUri } : {}),
      ...(props.maxTokenLifetime ? { JWT_MAX_LIFETIME_SECONDS: secondsVariable(props.maxTokenLifetime) } : {}),
      ...(props.jwksCacheTtl ? { JWT_JWKS_CACHE_TTL_SECONDS: secondsVariable(props.jwksCacheTtl) } : {}),
    };
    // Every variable counts, the settings too (the routes are the part that grows).
    const size = Object.entries(environment).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (size > MAX_ENVIRONMENT_BYTES) {
      errors.add(`methodScopes (the API's routes with their scopes) must fit the Lambda authorizer's environment (${MAX_ENVIRONMENT_BYTES} bytes with issuer and audience), got ${size} bytes: `
        + 'use fewer routes (a {proxy+} route covers a subtree) or fewer scopes per route');
      errors.throwIfAny();
    }

    this.logGroup = props.logGroup ?? new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: props.logEncryptionKey,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `JWT authorizer of ${scope.node.path}: writes its own log, nothing else`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on the function's own log group only (its Arn
    // attribute, which covers its streams): nothing for AwsSolutions-IAM5 to flag.
    this.logGroup.grantWrite(role);

    this.function = new lambda.Function(this, 'Function', {
      description: `Checks JWTs of ${props.issuer} for ${scope.node.path}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(JwtAuthorizerFunction.ASSET_DIR),
      memorySize: 256,
      timeout: Duration.seconds(10),
      role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    Validations.of(this.function).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: 'The authorizer reaches only the issuer\'s JWKS endpoint on the internet and nothing in the VPC; outside a VPC it needs no NAT route or ENIs to do so.',
    });
  }
}

/** The bundled handler: `assets/jwt-authorizer` at the package root, from `lib/auth` or `dist/lib/auth`. */
function findAssetDir(): string {
  const candidates = [
    path.join(__dirname, '..', '..', 'assets', 'jwt-authorizer'),
    path.join(__dirname, '..', '..', '..', 'assets', 'jwt-authorizer'),
  ];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.js'))) ?? candidates[0];
}
