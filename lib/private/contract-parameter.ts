import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import {
  CONTRACT_SCHEMA_VERSION, ConnectionPoolContract, ContractKind, ContractKinds, OutlierDetectionContract, parseContract, RetryPolicyContract,
} from './contract';
import type { ConnectionPool, OutlierDetection } from '../mesh/resilience';
import type { RetryPolicy } from '../mesh/retry-policy';
import { ADVANCED_TIER_MAX_BYTES, CONTRACT_PARAMETER_PREFIX, STANDARD_TIER_MAX_BYTES } from './contract-names';
import { fmt, millis, PropErrors } from './validation';

// Publishing a contract (an SSM String parameter in the publisher's stack) and reading one back in
// another app (a context lookup, cached in cdk.context.json like `Vpc.fromLookup`). cdk-nag's
// AwsSolutions pack (3.0.2) has no rule on SSM parameters; a contract holds ids and ARNs, no secret,
// so a plain String parameter (not SecureString) is right.

/** `/cdk-microservice/<platform>/platform` or `/cdk-microservice/<platform>/services/<service>`. */
const LAYOUT = /^\/cdk-microservice\/[A-Za-z0-9_.-]+\/(platform|services\/[a-z0-9-]+)$/;

/**
 * The JSON of `contract` as a CloudFormation string: literal where the contract is, `Fn::Join`
 * around the tokens of its ids and ARNs, which CloudFormation resolves at deploy.
 */
export function contractParameterValue(scope: Construct, contract: ContractKinds[ContractKind]): string {
  return Stack.of(scope).toJsonString(contract);
}

/**
 * The SSM parameter `name` holding `contract`, in the stack of `scope`, on Intelligent-Tiering: SSM
 * keeps it standard (free) up to 4096 bytes and makes it advanced (which costs) up to 8192 (Systems
 * Manager user guide, "Managing parameter tiers": 4 KB and 8 KB). A value that cannot fit 8192
 * bytes (its literal part, when it has tokens) fails synthesis, naming the parameter and its size.
 */
export function publishContract(scope: Construct, id: string, name: string, contract: ContractKinds[ContractKind]): ssm.StringParameter {
  const errors = new PropErrors(`contract parameter '${name}'`);
  checkLayout(errors, name);
  if (contract.schemaVersion !== CONTRACT_SCHEMA_VERSION) {
    errors.add(`schemaVersion must be the version this library publishes, ${fmt(CONTRACT_SCHEMA_VERSION)}, got ${fmt(contract.schemaVersion)}`);
  }
  errors.throwIfAny();
  const kind = name.includes('/services/') ? 'service' : 'platform';
  const value = contractParameterValue(scope, contract);
  const parameter = new ssm.StringParameter(scope, id, {
    parameterName: name,
    stringValue: value,
    description: `cdk-microservice ${kind} contract (schema ${CONTRACT_SCHEMA_VERSION}): what apps that join by name read`,
    simpleName: false,
  });
  const size = () => valueSize(Stack.of(scope).resolve(value));
  (parameter.node.defaultChild as ssm.CfnParameter).tier = tierFor();
  parameter.node.addValidation({
    validate: () => {
      const { bytes, exact } = size();
      return bytes > ADVANCED_TIER_MAX_BYTES
        ? [`contract parameter '${name}' must fit an SSM parameter value, at most ${STANDARD_TIER_MAX_BYTES} bytes (standard tier) or ${ADVANCED_TIER_MAX_BYTES} (advanced tier; `
          + `Systems Manager user guide, "Managing parameter tiers"), got ${exact ? '' : 'at least '}${bytes} bytes${kind === 'service' ? ': publish fewer topics from this service' : ''}`]
        : [];
    },
  });
  return parameter;
}

/**
 * The contract at `name` as the CLI looked it up in the account and region of the stack of `scope`
 * (`ssm.StringParameter.valueFromLookup`, cached in cdk.context.json): before the lookup, a
 * placeholder of valid shape (see `isPlaceholderContract`); a parameter the account does not have
 * fails synthesis with the CLI's error once looked up.
 */
export function lookupContract<K extends ContractKind>(scope: Construct, kind: K, name: string): ContractKinds[K] {
  const stack = Stack.of(scope);
  const errors = new PropErrors(`${kind} contract lookup '${name}' of ${scope.node.path}`);
  checkLayout(errors, name);
  if ((kind === 'service') !== name.includes('/services/')) errors.add(`the parameter name must be a ${kind} contract's, got ${fmt(name)}`);
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
    errors.add(`the stack '${stack.stackName}' must have env { account, region } known at synthesis (the contract is looked up in that account and region `
      + 'and cached in cdk.context.json, as Vpc.fromLookup does), got an environment-agnostic stack');
  }
  errors.throwIfAny();
  const value = ssm.StringParameter.valueFromLookup(scope, name);
  return parseContract(kind, value, name, { account: stack.account, region: stack.region });
}

function checkLayout(errors: PropErrors, name: string): void {
  if (Token.isUnresolved(name) || !LAYOUT.test(name)) {
    errors.add(`the parameter name must be ${CONTRACT_PARAMETER_PREFIX}<platformName>/platform or ${CONTRACT_PARAMETER_PREFIX}<platformName>/services/<serviceName> `
      + `(contract-names.ts builds them), got ${Token.isUnresolved(name) ? Token.asString(name) : fmt(name)}`);
  }
}

/** The least a token of the value resolves to, in bytes: a pseudo parameter's shortest value, else 1. */
const LEAST: { [ref: string]: number } = { 'AWS::AccountId': 12, 'AWS::Region': 9, 'AWS::Partition': 3, 'AWS::URLSuffix': 10 };

/** The size of a resolved value in UTF-8 bytes: exact when literal, else the least it can be. */
function valueSize(resolved: unknown): { readonly bytes: number; readonly exact: boolean } {
  if (typeof resolved === 'string') return { bytes: Buffer.byteLength(resolved, 'utf8'), exact: true };
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    const parts = join[1].map(valueSize);
    return {
      bytes: parts.reduce((n, p) => n + p.bytes, 0) + Buffer.byteLength(join[0], 'utf8') * Math.max(0, parts.length - 1),
      exact: parts.every((p) => p.exact),
    };
  }
  const ref = (resolved as { Ref?: unknown })?.Ref;
  return { bytes: typeof ref === 'string' ? LEAST[ref] ?? 1 : 1, exact: false };
}

/**
 * Always Intelligent-Tiering: SSM keeps the parameter standard while its value fits 4 KB and makes it
 * advanced past that. An explicit tier would be downgraded when a contract shrinks back under 4 KB,
 * which SSM refuses (an advanced parameter cannot become standard: Systems Manager user guide,
 * "Changing a standard parameter to an advanced parameter").
 */
function tierFor(): string {
  return ssm.ParameterTier.INTELLIGENT_TIERING;
}

// ---- The library's descriptions as contract data ------------------------------------------------

/** A duration known at synthesis, in whole milliseconds; `prop` names it when it is not. */
export function millisOf(prop: string, d: Duration): number {
  const value = d.isUnresolved() ? NaN : millis(d);
  if (!Number.isInteger(value)) {
    const errors = new PropErrors('a published contract');
    errors.add(`${prop} must be a whole number of milliseconds known at synthesis to be published, got ${d.isUnresolved() ? d.toString() : `${value} ms`}`);
    errors.throwIfAny();
  }
  return value;
}

/** A retry policy as callers of another app apply it, and its per-try timeout (for `timeouts.perTryMs`). */
export function retryPolicyContract(p: RetryPolicy): { readonly retryPolicy: RetryPolicyContract; readonly perTryMs?: number } {
  return {
    retryPolicy: {
      protocol: p.protocol as RetryPolicyContract['protocol'], maxRetries: p.maxRetries,
      httpRetryEvents: [...p.httpRetryEvents], tcpRetryEvents: [...p.tcpRetryEvents], grpcRetryEvents: [...p.grpcRetryEvents],
    },
    perTryMs: p.maxRetries > 0 && p.perRetryTimeout ? millisOf('retryPolicy.perRetryTimeout', p.perRetryTimeout) : undefined,
  };
}

export function outlierDetectionContract(o: OutlierDetection): OutlierDetectionContract {
  return {
    maxServerErrors: o.maxServerErrors,
    intervalMs: millisOf('outlierDetection.interval', o.interval),
    baseEjectionDurationMs: millisOf('outlierDetection.baseEjectionDuration', o.baseEjectionDuration),
    maxEjectionPercent: o.maxEjectionPercent,
  };
}

export function connectionPoolContract(c: ConnectionPool): ConnectionPoolContract {
  return { maxConnections: c.maxConnections, maxPendingRequests: c.maxPendingRequests, maxRequests: c.maxRequests };
}
