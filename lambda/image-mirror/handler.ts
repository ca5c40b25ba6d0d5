// The CloudFormation custom resource protocol, for a function invoked directly (ServiceToken = the
// function's ARN). From the CloudFormation user guide:
// - "CloudFormation invokes your Lambda function asynchronously with an event that includes a
//   callback URL" (Lambda guide, "Using AWS Lambda with CloudFormation"): the function answers by
//   PUTting a JSON document to ResponseURL, a presigned Amazon S3 URL. The PUT is sent with an empty
//   Content-Type, as AWS's own cfn-response module does: the URL was signed without one.
// - "Custom resource response objects": Status (SUCCESS or FAILED), Reason ("Required if Status is
//   FAILED"), PhysicalResourceId ("up to 1 KB", "must be identical for all responses for the same
//   resource"; a different one on Update is a replacement, and CloudFormation then sends Delete for
//   the old one), StackId, RequestId and LogicalResourceId copied from the request, NoEcho, Data;
//   "The total size of the response body can't exceed 4096 bytes".
// A function that never answers leaves the stack waiting until the resource's ServiceTimeout, so
// every path answers: a bad property, an unexpected error, and the function's own deadline
// (context.getRemainingTimeInMillis(), answered FAILED before Lambda stops the function).
import { parseImageReference, IMAGE_REFERENCE_FORM } from '../../lib/private/image-reference';
import { describeError, MirrorError } from './errors';
import { EcrApi, EcrTarget } from './ecr-target';
import { mirrorImage } from './mirror';
import { Fetch, RegistryClient, RegistryCredentials } from './registry';

/** A CloudFormation custom resource request. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType?: string;
  readonly ResourceProperties?: { readonly [key: string]: unknown };
  readonly OldResourceProperties?: { readonly [key: string]: unknown };
}

/** The parts of the Lambda context the handler reads. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  readonly logStreamName?: string;
}

/** Secrets Manager's GetSecretValue (the SDK's client, or a test's fake). */
export interface SecretsApi {
  getSecretValue(input: { SecretId: string }): Promise<{ SecretString?: string }>;
}

/** What the handler runs on: the network and the AWS clients, injectable. */
export interface HandlerDeps {
  readonly fetch: Fetch;
  readonly ecr: () => EcrApi;
  readonly secrets: () => SecretsApi;
  /** Base URL of a registry host; default `https://<host>`. */
  readonly registryBaseUrl?: (host: string) => string;
  /**
   * Time kept back from the function's remaining time to answer FAILED before Lambda stops it.
   *
   * @default 20000
   */
  readonly answerReserveMs?: number;
  /** Log sink; default one JSON line per entry on stdout. */
  readonly log?: (entry: Record<string, unknown>) => void;
}

/** Part of the response budget kept for the reason. */
const MAX_REASON_CHARS = 1000;
/** CloudFormation's limit on the whole response body. */
export const MAX_RESPONSE_BYTES = 4096;
const DEFAULT_ANSWER_RESERVE_MS = 20_000;
const RESPONSE_ATTEMPTS = 3;
const RESPONSE_TIMEOUT_MS = 5_000;

interface Outcome {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  readonly physicalResourceId: string;
  readonly data?: { readonly [key: string]: string };
}

/** The Lambda handler for `deps`. */
export function createHandler(deps: HandlerDeps): (event: CustomResourceEvent, context: LambdaContext) => Promise<void> {
  const log = deps.log ?? ((entry) => console.log(JSON.stringify(entry)));
  return async (event, context) => {
    const base = { requestType: event?.RequestType, logicalResourceId: event?.LogicalResourceId, requestId: event?.RequestId };
    const fallbackId = event?.PhysicalResourceId || `${event?.LogicalResourceId ?? 'ImageMirror'}-${event?.RequestId ?? 'unknown'}`;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let outcome: Outcome;
    try {
      const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : 60_000;
      const budget = remaining - (deps.answerReserveMs ?? DEFAULT_ANSWER_RESERVE_MS);
      const deadline = new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => {
          controller.abort(new MirrorError('deadline'));
          resolve({
            status: 'FAILED',
            physicalResourceId: fallbackId,
            reason: `Not finished within the function's time limit (${Math.round(remaining / 1000)} s left when the request arrived): the image is not mirrored completely; a re-run skips the blobs already copied`,
          });
        }, Math.max(0, budget));
      });
      outcome = await Promise.race([run(event, deps, controller.signal, (message, fields) => log({ level: 'info', message, ...base, ...fields })), deadline]);
    } catch (err) {
      outcome = { status: 'FAILED', physicalResourceId: fallbackId, reason: describeError(err) };
    } finally {
      clearTimeout(timer);
    }
    if (outcome.status === 'FAILED') {
      controller.abort(new MirrorError('answered'));
      log({ level: 'error', message: 'failed', ...base, reason: outcome.reason });
    }
    await answer(event, context, outcome, deps.fetch, log);
  };
}

async function run(event: CustomResourceEvent, deps: HandlerDeps, signal: AbortSignal, log: (m: string, f?: Record<string, unknown>) => void): Promise<Outcome> {
  if (event.RequestType === 'Delete') {
    // The repository keeps its images: tasks of other stacks (or of a rollback) may still pull this
    // digest, and the repository's lifecycle rule bounds what accumulates.
    log('delete: images stay in the repository');
    return { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId || `${event.LogicalResourceId}-deleted` };
  }
  if (event.RequestType !== 'Create' && event.RequestType !== 'Update') {
    throw new MirrorError(`Unknown RequestType ${JSON.stringify(event.RequestType)}`);
  }
  const props = event.ResourceProperties ?? {};
  const problems: string[] = [];
  const text = (key: string, required: boolean): string | undefined => {
    const v = props[key];
    if (v === undefined || v === '') {
      if (required) problems.push(`${key} is required`);
      return undefined;
    }
    if (typeof v !== 'string') {
      problems.push(`${key} must be a string`);
      return undefined;
    }
    return v;
  };
  const sourceImage = text('SourceImage', true);
  const repositoryName = text('RepositoryName', true);
  const tag = text('Tag', true);
  const secretArn = text('CredentialSecretArn', false);
  const parsed = sourceImage !== undefined ? parseImageReference(sourceImage) : undefined;
  if (parsed?.problem) problems.push(`SourceImage must be ${IMAGE_REFERENCE_FORM}; ${parsed.problem}: ${JSON.stringify(sourceImage)}`);
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) problems.push(`Tag must be 1 to 128 characters of letters, digits, '_', '.' and '-': ${JSON.stringify(tag)}`);
  if (problems.length > 0) throw new MirrorError(`Invalid properties: ${problems.join('; ')}`);

  const credentials = secretArn ? await readCredentials(deps.secrets(), secretArn) : undefined;
  const reference = parsed!.reference!;
  const source = new RegistryClient(reference, { fetch: deps.fetch, credentials, baseUrl: deps.registryBaseUrl, signal });
  const target = new EcrTarget(deps.ecr(), repositoryName!, signal);
  log('mirroring', { sourceImage, repositoryName, tag, credentials: credentials !== undefined });
  const result = await mirrorImage({ reference, source, target, repositoryName: repositoryName!, tag: tag!, log, signal });
  return {
    status: 'SUCCESS',
    physicalResourceId: `${repositoryName}@${result.digest}`,
    data: { ImageDigest: result.digest, ImageUri: result.imageUri },
  };
}

/** `{"username": ..., "password": ...}` of the secret. */
async function readCredentials(secrets: SecretsApi, secretId: string): Promise<RegistryCredentials> {
  const out = await secrets.getSecretValue({ SecretId: secretId });
  let value: { username?: unknown; password?: unknown } | undefined;
  try {
    value = out.SecretString ? JSON.parse(out.SecretString) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || typeof value.username !== 'string' || typeof value.password !== 'string' || !value.username || !value.password) {
    throw new MirrorError('The credential secret must be a JSON object {"username": "...", "password": "..."}');
  }
  return { username: value.username, password: value.password };
}

/** PUTs the response to ResponseURL, a few times if S3 does not take it. */
async function answer(event: CustomResourceEvent, context: LambdaContext, outcome: Outcome, fetchFn: Fetch, log: (entry: Record<string, unknown>) => void): Promise<void> {
  const body = responseBody(event, context, outcome);
  if (!event?.ResponseURL) {
    log({ level: 'error', message: 'no ResponseURL in the event: cannot answer CloudFormation', body });
    return;
  }
  for (let attempt = 1; attempt <= RESPONSE_ATTEMPTS; attempt++) {
    try {
      const res = await fetchFn(event.ResponseURL, {
        method: 'PUT',
        headers: { 'content-type': '' },
        body,
        signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        log({ level: 'info', message: 'answered', status: outcome.status, physicalResourceId: outcome.physicalResourceId });
        return;
      }
      log({ level: 'warn', message: 'response not accepted', httpStatus: res.status, attempt });
    } catch (err) {
      log({ level: 'warn', message: 'response not sent', error: describeError(err), attempt });
    }
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
  log({ level: 'error', message: 'could not answer CloudFormation', status: outcome.status });
}

/** The response document, kept under CloudFormation's 4096 bytes by shortening the reason. */
export function responseBody(event: CustomResourceEvent, context: LambdaContext, outcome: Outcome): string {
  const stream = context?.logStreamName ? ` (log stream ${context.logStreamName})` : '';
  const make = (reason: string | undefined) => JSON.stringify({
    Status: outcome.status,
    ...(reason !== undefined ? { Reason: reason } : {}),
    PhysicalResourceId: outcome.physicalResourceId.slice(0, 1024),
    StackId: event?.StackId,
    RequestId: event?.RequestId,
    LogicalResourceId: event?.LogicalResourceId,
    NoEcho: false,
    ...(outcome.data ? { Data: outcome.data } : {}),
  });
  if (outcome.reason === undefined) return make(undefined);
  let reason = `${outcome.reason.slice(0, MAX_REASON_CHARS)}${stream}`;
  let body = make(reason);
  while (Buffer.byteLength(body) > MAX_RESPONSE_BYTES && reason.length > 20) {
    reason = `${reason.slice(0, Math.floor(reason.length / 2))}…`;
    body = make(reason);
  }
  return body;
}
