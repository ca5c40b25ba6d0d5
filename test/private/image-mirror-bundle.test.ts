/**
 * The committed bundle of the image mirror (assets/image-mirror/index.js), which ImageMirror deploys
 * as is: current, reproducible, small, the AWS SDK left to the runtime, and answering CloudFormation
 * from a plain Node process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { ResponseCollector } from './fixtures/fake-registry';
import { expectBundleCurrent } from '../util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
const ASSET_DIR = path.join(ROOT, 'assets', 'image-mirror');
const BUNDLE = path.join(ASSET_DIR, 'index.js');

test('the committed bundle is byte-identical to a fresh build (current and reproducible)', () => expectBundleCurrent('image-mirror', 'bundle-image-mirror.mjs'));

test('the asset directory holds only index.js, under 50 KB, with nothing machine-specific and the SDK external', () => {
  expect(fs.readdirSync(ASSET_DIR)).toEqual(['index.js']);
  const code = fs.readFileSync(BUNDLE, 'utf8');
  expect(Buffer.byteLength(code)).toBeLessThan(50 * 1024);
  expect(code).not.toContain(ROOT);
  expect(code).not.toContain(os.homedir());
  expect(code).not.toMatch(/sourceMappingURL/);
  const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  expect([...new Set(required)].sort()).toEqual(['@aws-sdk/client-ecr', '@aws-sdk/client-secrets-manager', 'node:crypto']);
  expect(code).toContain('Provided by the Lambda runtime, not bundled: @aws-sdk/*');
});

describe('the committed bundle in a plain Node process', () => {
  const responses = new ResponseCollector();
  beforeAll(() => responses.start());
  afterAll(() => responses.close());

  test('answers a Delete with SUCCESS and a Create without SourceImage with FAILED, by PUT to ResponseURL', async () => {
    const base = {
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Platform/1',
      LogicalResourceId: 'ImageMirrorEnvoy',
      ResourceType: 'Custom::ImageMirror',
    };
    const events = [
      { ...base, RequestType: 'Delete', RequestId: 'r-delete', PhysicalResourceId: 'mirror@sha256:1', ResponseURL: responses.url(), ResourceProperties: {} },
      { ...base, RequestType: 'Create', RequestId: 'r-create', ResponseURL: responses.url(), ResourceProperties: { RepositoryName: 'mirror', Tag: 'x' } },
    ];
    const child = `
      const { handler } = require(process.argv[1]);
      (async () => {
        for (const event of JSON.parse(process.env.TEST_EVENTS)) {
          await handler(event, { getRemainingTimeInMillis: () => 600000, logStreamName: 'stream-1' });
        }
        process.exit(0);
      })();`;
    await run(process.execPath, ['-e', child, BUNDLE], {
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TEST_EVENTS: JSON.stringify(events) },
    });
    expect(responses.for(events[0].ResponseURL).map((r) => r.body)).toEqual([
      { Status: 'SUCCESS', PhysicalResourceId: 'mirror@sha256:1', StackId: base.StackId, RequestId: 'r-delete', LogicalResourceId: 'ImageMirrorEnvoy', NoEcho: false },
    ]);
    expect(responses.for(events[1].ResponseURL).map((r) => r.body)).toEqual([
      expect.objectContaining({ Status: 'FAILED', Reason: 'Invalid properties: SourceImage is required (log stream stream-1)', RequestId: 'r-create' }),
    ]);
  });
});
