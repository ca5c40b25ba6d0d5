import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as path from 'path';
import * as fs from 'fs';
import * as os from 'os';
import { Microservice, MicroservicePlatform, normalizeTemplate } from '../../lib';
import { CDK_CONTEXT, IMAGE, testApp } from '../util';

function stackWithAsset(code: string): Stack {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-'));
  fs.writeFileSync(path.join(dir, 'index.js'), code);
  const stack = new Stack(testApp(), 'WithAsset');
  new lambda.Function(stack, 'Fn', { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromAsset(dir) });
  return stack;
}

describe('normalizeTemplate', () => {
  test('gives the same result when only an asset changes, and keeps what deploys', () => {
    const a = normalizeTemplate(Template.fromStack(stackWithAsset('exports.handler = async () => 1;')));
    const b = normalizeTemplate(stackWithAsset('exports.handler = async () => 2;'));
    const rawA = Template.fromStack(stackWithAsset('exports.handler = async () => 1;')).toJSON();
    const rawB = Template.fromStack(stackWithAsset('exports.handler = async () => 2;')).toJSON();
    expect(rawA).not.toEqual(rawB);
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).toContain('<asset-hash>');
    expect(JSON.stringify(a)).toContain('"Handler":"index.handler"');
  });

  test('drops CDK metadata, the bootstrap version check and resource metadata', () => {
    const stack = new Stack(new App({ context: { ...CDK_CONTEXT, 'aws:cdk:enable-path-metadata': true } }), 'Meta');
    new MicroservicePlatform(stack, 'P');
    const raw = Template.fromStack(stack).toJSON();
    const norm = normalizeTemplate(raw);
    expect(raw.Parameters?.BootstrapVersion).toBeDefined();
    expect(norm.Parameters).toBeUndefined();
    expect(norm.Rules).toBeUndefined();
    expect(Object.values(norm.Resources).some((r: any) => r.Metadata)).toBe(false);
    expect(Object.values(norm.Resources).some((r: any) => r.Type === 'AWS::CDK::Metadata')).toBe(false);
    expect(Object.keys(norm.Resources).length).toBe(Object.values(raw.Resources).filter((r: any) => r.Type !== 'AWS::CDK::Metadata').length);
    expect(normalizeTemplate(raw, { dropResourceMetadata: false }).Resources[Object.keys(norm.Resources)[0]].Metadata).toBeDefined();
  });

  test('leaves the input untouched', () => {
    const raw = { Resources: { A: { Type: 'X', Metadata: { a: 1 }, Properties: { K: 'a'.repeat(64) } } } };
    normalizeTemplate(raw);
    expect(raw.Resources.A.Metadata).toEqual({ a: 1 });
  });
});

test('snapshot of a default service stack', () => {
  const stack = new Stack(testApp(), 'Snapshot');
  new Microservice(stack, 'Orders', { image: IMAGE });
  expect(normalizeTemplate(stack)).toMatchSnapshot();
});
