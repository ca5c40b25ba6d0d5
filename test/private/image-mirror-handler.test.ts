/**
 * The image mirror's custom resource handler against a fake registry on 127.0.0.1 (token auth,
 * blobs redirected to a CDN of another origin) and a fake ECR repository enforcing ECR's rules.
 * Hermetic: `unshare -n sh -c 'ip link set lo up && npx jest test/private/image-mirror'`.
 */
import { createHandler, CustomResourceEvent, HandlerDeps } from '../../lambda/image-mirror/handler';
import { FakeEcr, MAX_PART } from './fixtures/fake-ecr';
import { FakeImage, FakeRegistry, multiArchImage, ResponseCollector } from './fixtures/fake-registry';

const REPO = 'platform-image-mirror';
const TAG = 'envoyproxy.envoy-v1.40.2';
const MiB = 1024 * 1024;

const registry = new FakeRegistry();
const responses = new ResponseCollector();
let image: FakeImage;
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  await Promise.all([registry.start(), responses.start()]);
  image = multiArchImage('envoyproxy/envoy', 'v1.40.2', 12 * MiB); // crosses ECR's 10 MiB part size
  registry.add(image);
  registry.add(multiArchImage('private/app', '1.0.0'));
});
afterAll(async () => {
  await Promise.all([registry.close(), responses.close()]);
});
beforeEach(() => {
  registry.hits.length = 0;
  registry.cdnHits.length = 0;
  registry.corrupt.clear();
  registry.credentials = undefined;
  registry.manifestDelayMs = 0;
  logs.length = 0;
});

function deps(ecr: FakeEcr, o: Partial<HandlerDeps> & { secret?: string } = {}): HandlerDeps {
  return {
    fetch: (input, init) => fetch(input, init),
    ecr: () => ecr,
    secrets: () => ({
      getSecretValue: async ({ SecretId }) => {
        if (SecretId !== 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf') throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
        return { SecretString: o.secret };
      },
    }),
    registryBaseUrl: (host) => `http://${host}`,
    answerReserveMs: 1000,
    log: (entry) => logs.push(entry),
    ...o,
  };
}

function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, unknown>, extra: Partial<CustomResourceEvent> = {}): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: responses.url(),
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Platform/1b2c3d4e',
    RequestId: `req-${Math.random().toString(36).slice(2)}`,
    LogicalResourceId: 'ImageMirrorEnvoy1A2B3C4D',
    ResourceType: 'Custom::ImageMirror',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:mirror', ...props },
    ...extra,
  };
}

const envoyProps = () => ({ SourceImage: `${registry.host}/envoyproxy/envoy:v1.40.2`, RepositoryName: REPO, Tag: TAG });
const context = (remainingMs = 600_000) => {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now(), logStreamName: '2026/11/20/[$LATEST]abc' };
};

/** Invokes the handler and returns the one response it PUT. */
async function invoke(d: HandlerDeps, e: CustomResourceEvent, ctx = context()) {
  await createHandler(d)(e, ctx);
  const sent = responses.for(e.ResponseURL);
  expect(sent).toHaveLength(1);
  expect(sent[0].contentType).toBe(''); // the presigned URL is signed without a Content-Type
  expect(sent[0].bytes).toBeLessThanOrEqual(4096);
  const body = sent[0].body;
  expect(body).toMatchObject({ StackId: e.StackId, RequestId: e.RequestId, LogicalResourceId: e.LogicalResourceId, NoEcho: false });
  return body;
}

describe('Create', () => {
  test('copies the index, both manifests and every blob once, and returns the digest and the ECR image URI', async () => {
    const ecr = new FakeEcr(REPO);
    const body = await invoke(deps(ecr), event('Create', envoyProps()));

    expect(body).toEqual(expect.objectContaining({
      Status: 'SUCCESS',
      PhysicalResourceId: `${REPO}@${image.index.digest}`,
      Data: { ImageDigest: image.index.digest, ImageUri: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${REPO}@${image.index.digest}` },
    }));
    // every blob (configs, the shared layer, each platform's layer) completed exactly once, with its bytes
    const completed = ecr.ops('CompleteLayerUpload').map((i) => i.layerDigests[0]);
    expect(completed.sort()).toEqual(image.blobs.map((b) => b.digest).sort());
    for (const b of image.blobs) expect(ecr.layers.get(b.digest)).toBe(b.bytes.length);
    // the 12 MiB layer went up in ECR-sized parts: 10 MiB, then the rest
    const big = image.blobs.find((b) => b.bytes.length === 12 * MiB)!;
    const parts = ecr.ops('UploadLayerPart').filter((p) => p.layerPartBlob === MAX_PART || p.layerPartBlob === 2 * MiB);
    expect(parts.map((p) => [p.partFirstByte, p.partLastByte])).toEqual([[0, MAX_PART - 1], [MAX_PART, big.bytes.length - 1]]);
    // manifests by digest without a tag, then the index with the tag
    expect(ecr.ops('PutImage').map((p) => [p.imageDigest, p.imageManifestMediaType, p.imageTag])).toEqual([
      [image.manifests[0].digest, 'application/vnd.oci.image.manifest.v1+json', undefined],
      [image.manifests[1].digest, 'application/vnd.oci.image.manifest.v1+json', undefined],
      [image.index.digest, 'application/vnd.oci.image.index.v1+json', TAG],
    ]);
    expect([...ecr.images.get(image.index.digest)!.tags]).toEqual([TAG]);
    // the registry asked for a token and got it; blobs came from the CDN without the token
    expect(registry.count('GET', /^\/token$/)).toBeGreaterThanOrEqual(1);
    expect(registry.cdnHits).toHaveLength(image.blobs.length);
    expect(registry.leaks).toEqual([]);
  });

  test('a re-run finds the tag in the repository and keeps it without asking the source registry: nothing read, nothing written', async () => {
    const ecr = new FakeEcr(REPO);
    await invoke(deps(ecr), event('Create', envoyProps()));
    ecr.calls.length = 0;
    registry.hits.length = 0;
    registry.cdnHits.length = 0;

    const again = await invoke(deps(ecr), event('Update', envoyProps(), { PhysicalResourceId: `${REPO}@${image.index.digest}` }));
    expect(again).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `${REPO}@${image.index.digest}`, Data: expect.objectContaining({ ImageDigest: image.index.digest }) }));
    expect(ecr.calls.map((c) => c.op)).toEqual(['DescribeRepositories', 'DescribeImages']);
    // An update that keeps the tag (a credential added) never depends on the source registry.
    expect(registry.hits).toEqual([]);
    expect(registry.cdnHits).toEqual([]);
  });

  test('blobs ECR already has are not uploaded again (an interrupted run resumed)', async () => {
    const ecr = new FakeEcr(REPO);
    const [first, ...rest] = image.blobs;
    ecr.layers.set(first.digest, first.bytes.length);
    const body = await invoke(deps(ecr), event('Create', envoyProps()));
    expect(body.Status).toBe('SUCCESS');
    expect(ecr.ops('CompleteLayerUpload').map((i) => i.layerDigests[0]).sort()).toEqual(rest.map((b) => b.digest).sort());
  });

  test('mirrors a source named by digest, and the digest must match what the registry serves', async () => {
    const ecr = new FakeEcr(REPO);
    const byDigest = `${registry.host}/envoyproxy/envoy@${image.index.digest}`;
    const ok = await invoke(deps(ecr), event('Create', { ...envoyProps(), SourceImage: byDigest, Tag: image.index.digest.slice(7) }));
    expect(ok.Data.ImageDigest).toBe(image.index.digest);

    const wrong = `${registry.host}/envoyproxy/envoy@${image.manifests[0].digest.replace(/^sha256:./, 'sha256:0')}`;
    const failed = await invoke(deps(new FakeEcr(REPO)), event('Create', { ...envoyProps(), SourceImage: wrong, Tag: 'x' }));
    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/MANIFEST_UNKNOWN|expected sha256:0/);
  });

  test('uses the credential secret\'s user name and password for the token', async () => {
    registry.credentials = { username: 'mirror', password: 's3cret' };
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-AbCdEf';
    const props = { SourceImage: `${registry.host}/private/app:1.0.0`, RepositoryName: REPO, Tag: 'private.app-1.0.0' };

    const anonymous = await invoke(deps(new FakeEcr(REPO)), event('Create', props));
    expect(anonymous).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/token .*HTTP 401/) });

    const body = await invoke(deps(new FakeEcr(REPO), { secret: '{"username":"mirror","password":"s3cret"}' }), event('Create', { ...props, CredentialSecretArn: secretArn }));
    expect(body.Status).toBe('SUCCESS');
    expect(registry.leaks).toEqual([]);
    expect(JSON.stringify(logs)).not.toContain('s3cret');

    const malformed = await invoke(deps(new FakeEcr(REPO), { secret: '{"user":"mirror"}' }), event('Create', { ...props, CredentialSecretArn: secretArn }));
    expect(malformed).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('{"username": "...", "password": "..."}') });
  });
});

describe('failures answer FAILED with the reason', () => {
  test('a corrupted blob (digest mismatch) is never completed, and no manifest is put', async () => {
    const ecr = new FakeEcr(REPO);
    const bad = image.blobs[2];
    registry.corrupt.add(bad.digest);
    const body = await invoke(deps(ecr), event('Create', envoyProps()));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(`blob ${bad.digest}: received content has digest sha256:`);
    expect(body.Reason).toContain('corrupt download, not uploaded');
    expect(body.Reason).toContain('log stream 2026/11/20/[$LATEST]abc');
    expect(body.PhysicalResourceId).toBeTruthy();
    expect(ecr.ops('CompleteLayerUpload').map((i) => i.layerDigests[0])).not.toContain(bad.digest);
    expect(ecr.ops('PutImage')).toEqual([]);
  });

  test('a tag that already points at another digest than the source pinned by digest (immutable) fails, naming both digests', async () => {
    const ecr = new FakeEcr(REPO);
    const TAG = image.index.digest.slice(7);
    const other = ecr.seed('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}', TAG);
    const byDigest = `${registry.host}/envoyproxy/envoy@${image.index.digest}`;
    const body = await invoke(deps(ecr), event('Create', { ...envoyProps(), SourceImage: byDigest, Tag: TAG }));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(`tag "${TAG}" already points at ${other}`);
    expect(body.Reason).toContain(`not at ${image.index.digest}`);
    expect(ecr.ops('InitiateLayerUpload')).toEqual([]);
  });

  test('the same conflict found by PutImage (the tag appeared during the copy) fails the same way', async () => {
    const ecr = new FakeEcr(REPO);
    const other = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';
    const describe = ecr.describeImages.bind(ecr);
    let first = true;
    ecr.describeImages = async (input: any) => {
      if (first) { // the tag is free when checked first, taken before the index is put
        first = false;
        ecr.seed(other, TAG);
        throw Object.assign(new Error('not found'), { name: 'ImageNotFoundException' });
      }
      return describe(input);
    };
    const body = await invoke(deps(ecr), event('Create', envoyProps()));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(`already points at sha256:`);
    expect(body.Reason).toContain(`not at ${image.index.digest}`);
  });

  test('an unexpected error of a dependency', async () => {
    const ecr = new FakeEcr(REPO);
    ecr.failOn = { op: 'BatchCheckLayerAvailability', error: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) };
    const body = await invoke(deps(ecr), event('Create', envoyProps()));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('ThrottlingException: Rate exceeded') });
  });

  test('a repository that does not exist', async () => {
    const body = await invoke(deps(new FakeEcr('other')), event('Create', envoyProps()));
    expect(body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(`ECR repository ${REPO} does not exist`) });
  });

  test('a missing or malformed property: the response is still PUT', async () => {
    const ecr = new FakeEcr(REPO);
    const missing = await invoke(deps(ecr), event('Create', { RepositoryName: REPO }));
    expect(missing.Status).toBe('FAILED');
    expect(missing.Reason).toContain('SourceImage is required');
    expect(missing.Reason).toContain('Tag is required');
    expect(missing.PhysicalResourceId).toMatch(/^ImageMirrorEnvoy1A2B3C4D-req-/);

    const malformed = await invoke(deps(ecr), event('Create', { ...envoyProps(), SourceImage: 'Envoy Proxy' }));
    expect(malformed.Reason).toContain('SourceImage must be');
    const untagged = await invoke(deps(ecr), event('Create', { ...envoyProps(), SourceImage: 'envoyproxy/envoy' }));
    expect(untagged.Reason).toContain('names neither a tag nor a digest');
    expect(ecr.calls).toEqual([]);
  });

  test('a request without properties or with an unknown type', async () => {
    const noProps = await invoke(deps(new FakeEcr(REPO)), { ...event('Create', {}), ResourceProperties: undefined });
    expect(noProps.Status).toBe('FAILED');
    const unknown = await invoke(deps(new FakeEcr(REPO)), { ...event('Create', envoyProps()), RequestType: 'Replace' as any });
    expect(unknown).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('Unknown RequestType "Replace"') });
  });

  test('near the function\'s timeout: answers FAILED before Lambda would stop it', async () => {
    registry.manifestDelayMs = 5000;
    const started = Date.now();
    const update = event('Update', envoyProps(), { PhysicalResourceId: `${REPO}@sha256:${'1'.repeat(64)}` });
    const body = await invoke(deps(new FakeEcr(REPO)), update, context(1800)); // 1.8 s left, 1 s kept to answer
    expect(Date.now() - started).toBeLessThan(1800);
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${REPO}@sha256:${'1'.repeat(64)}` });
    expect(body.Reason).toContain('Not finished within the function\'s time limit');
  });

  test('a reason too long for CloudFormation is cut to keep the response under 4096 bytes', async () => {
    const ecr = new FakeEcr(REPO);
    ecr.failOn = { op: 'DescribeRepositories', error: Object.assign(new Error('x'.repeat(10_000)), { name: 'ServerException' }) };
    const body = await invoke(deps(ecr), event('Create', envoyProps(), { StackId: `arn:aws:cloudformation:eu-west-1:123456789012:stack/${'S'.repeat(1500)}/1` }));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason.length).toBeLessThan(1100);
  });
});

describe('Delete', () => {
  test('succeeds, keeps the physical id, and touches neither ECR nor the registry (the repository keeps its images)', async () => {
    const ecr = new FakeEcr(REPO);
    const id = `${REPO}@${image.index.digest}`;
    const body = await invoke(deps(ecr), event('Delete', envoyProps(), { PhysicalResourceId: id }));
    expect(body).toEqual(expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: id }));
    expect(body.Data).toBeUndefined();
    expect(ecr.calls).toEqual([]);
    expect(registry.hits).toEqual([]);
  });

  test('succeeds also without properties (a Create that failed before it had any)', async () => {
    const ecr = new FakeEcr(REPO);
    const body = await invoke(deps(ecr), { ...event('Delete', {}, { PhysicalResourceId: 'ImageMirrorEnvoy-req-1' }), ResourceProperties: undefined });
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'ImageMirrorEnvoy-req-1' });
  });
});
