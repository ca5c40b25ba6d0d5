import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

/** Options of {@link normalizeTemplate}. */
export interface NormalizeTemplateOptions {
  /**
   * Also drop the `Metadata` of every resource (construct paths, asset paths, acknowledgements).
   *
   * @default true
   */
  readonly dropResourceMetadata?: boolean;
}

const ASSET_HASH = /\b[0-9a-f]{64}\b/g;
const ASSET_PLACEHOLDER = '<asset-hash>';

/**
 * A copy of a synthesized template that does not change when only an asset's content or the
 * CDK version changes, for snapshot tests of stacks that use this library:
 *
 * - 64-hex-digit asset hashes (S3 keys, image tags, `Fn::Sub` strings) become `<asset-hash>`;
 * - the `AWS::CDK::Metadata` resource and its `CDKMetadataAvailable` condition are removed;
 * - the bootstrap version rule and parameter are removed;
 * - resource `Metadata` (construct paths, asset paths) is removed unless told otherwise.
 *
 * Everything that CloudFormation deploys is kept as it is.
 *
 * @example
 * expect(normalizeTemplate(Template.fromStack(stack))).toMatchSnapshot();
 */
export function normalizeTemplate(template: Template | Stack | { [key: string]: any }, options: NormalizeTemplateOptions = {}): { [key: string]: any } {
  const json = template instanceof Stack
    ? Template.fromStack(template).toJSON()
    : template instanceof Template ? template.toJSON() : template;
  const copy = JSON.parse(JSON.stringify(json)) as { [key: string]: any };

  const resources: { [id: string]: any } = copy.Resources ?? {};
  for (const [id, resource] of Object.entries(resources)) {
    if (resource?.Type === 'AWS::CDK::Metadata') delete resources[id];
    else if (options.dropResourceMetadata ?? true) delete resource.Metadata;
  }
  if (copy.Conditions) {
    delete copy.Conditions.CDKMetadataAvailable;
    if (Object.keys(copy.Conditions).length === 0) delete copy.Conditions;
  }
  if (copy.Rules) {
    delete copy.Rules.CheckBootstrapVersion;
    if (Object.keys(copy.Rules).length === 0) delete copy.Rules;
  }
  if (copy.Parameters) {
    delete copy.Parameters.BootstrapVersion;
    if (Object.keys(copy.Parameters).length === 0) delete copy.Parameters;
  }
  return replaceStrings(copy, (s) => s.replace(ASSET_HASH, ASSET_PLACEHOLDER));
}

function replaceStrings(value: any, fn: (s: string) => string): any {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, fn));
  if (value && typeof value === 'object') {
    const out: { [key: string]: any } = {};
    for (const [k, v] of Object.entries(value)) out[fn(k)] = replaceStrings(v, fn);
    return out;
  }
  return value;
}
