import { PropErrors } from './validation';

// Where the platform and its services publish their contracts (SSM Parameter Store), and the
// limits of a parameter: shared by the publishing constructs and the testing helper that reads
// synthesized assemblies, so that both agree on the layout.

/** Every contract parameter's name starts with this. */
export const CONTRACT_PARAMETER_PREFIX = '/cdk-microservice/';

/**
 * The longest fully qualified parameter name: 1011 characters (Systems Manager API reference,
 * PutParameter, Name: "The maximum length for the fully qualified parameter name is 1011
 * characters"; its 2048 includes 1037 characters reserved for system attributes).
 */
export const MAX_PARAMETER_NAME = 1011;

/**
 * Parameter value limits of the two tiers: 4 KB standard, 8 KB advanced (Systems Manager user
 * guide, "Managing parameter tiers": "Maximum size of a parameter value: 4 KB / 8 KB"; the API's
 * own error reads "Standard tier parameters support a maximum parameter value of 4096 characters").
 * Counted here in UTF-8 bytes, which is never less than the characters.
 */
export const STANDARD_TIER_MAX_BYTES = 4096;
export const ADVANCED_TIER_MAX_BYTES = 8192;

/** The longest discovery name a service may have (the Microservice's `discoveryName` rule). */
const MAX_SERVICE_NAME = 60;
/**
 * One level of a hierarchical parameter name: "a-zA-Z0-9_.-" (PutParameter, Name, naming
 * constraints; "/" delimits levels, so a level has none; spaces are refused).
 */
const PARAMETER_LEVEL = /^[A-Za-z0-9_.-]+$/;
/** A service's discovery name: a lower-case DNS label (as Microservice's `discoveryName`). */
const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/;
const SERVICES_LEVEL = '/services/';
/**
 * The longest platform name: room left in the 1011 characters for the longest service parameter,
 * `/cdk-microservice/<platform>/services/<60 characters>`.
 */
export const MAX_PLATFORM_NAME = MAX_PARAMETER_NAME - CONTRACT_PARAMETER_PREFIX.length - SERVICES_LEVEL.length - MAX_SERVICE_NAME;

/**
 * Records what is wrong with `platformName` as one level of an SSM parameter name. The reserved
 * prefixes "aws" and "ssm" (PutParameter) apply to the start of the full name, which is always
 * `/cdk-microservice/`, so any level may start with them.
 */
export function checkPlatformName(errors: PropErrors, prop: string, platformName: string): void {
  if (typeof platformName !== 'string') {
    errors.add(`${prop} must be a string, got ${JSON.stringify(platformName)}`);
    return;
  }
  const before = errors.count;
  errors.literal(prop, platformName, 'a name');
  if (errors.count > before) return;
  if (platformName.length < 1 || platformName.length > MAX_PLATFORM_NAME || !PARAMETER_LEVEL.test(platformName)) {
    errors.add(`${prop} must be 1 to ${MAX_PLATFORM_NAME} letters, digits, "_", "." and "-" (one level of an SSM parameter name: `
      + `no "/" and no space), got ${JSON.stringify(platformName)}`);
  }
}

/** Records what is wrong with `serviceName`: a discovery name, which is also one level of a parameter name. */
export function checkServiceName(errors: PropErrors, prop: string, serviceName: string): void {
  if (typeof serviceName !== 'string') {
    errors.add(`${prop} must be a string, got ${JSON.stringify(serviceName)}`);
    return;
  }
  const before = errors.count;
  errors.literal(prop, serviceName, 'a discovery name');
  if (errors.count > before) return;
  if (!SERVICE_NAME.test(serviceName)) {
    errors.add(`${prop} must be a service's discovery name: a lower-case DNS label (a-z, 0-9 and "-", 1-${MAX_SERVICE_NAME} characters), `
      + `which is also one level of its SSM parameter name, got ${JSON.stringify(serviceName)}`);
  }
}

/** `/cdk-microservice/<platformName>/platform`: the platform's contract. Throws for a bad name. */
export function platformParameterName(platformName: string): string {
  const errors = new PropErrors('the platform contract\'s parameter name');
  checkPlatformName(errors, 'platformName', platformName);
  errors.throwIfAny();
  return `${CONTRACT_PARAMETER_PREFIX}${platformName}/platform`;
}

/** `/cdk-microservice/<platformName>/services/<serviceName>`: a service's contract. Throws for a bad name. */
export function serviceParameterName(platformName: string, serviceName: string): string {
  const errors = new PropErrors('the service contract\'s parameter name');
  checkPlatformName(errors, 'platformName', platformName);
  checkServiceName(errors, 'serviceName', serviceName);
  errors.throwIfAny();
  return `${CONTRACT_PARAMETER_PREFIX}${platformName}${SERVICES_LEVEL}${serviceName}`;
}

/** Whether `name` is a contract parameter's name (of a platform or a service). */
export function isContractParameterName(name: string): boolean {
  return name.startsWith(CONTRACT_PARAMETER_PREFIX);
}
