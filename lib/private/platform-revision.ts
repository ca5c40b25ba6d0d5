import { createHash } from 'crypto';
import { CfnOutput, CfnResource, CfnWaitConditionHandle, Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Fingerprints of each platform stack, with the number of outputs they were computed from: the
 * logical id is also read while aws-cdk-lib resolves references, which adds the outputs one by
 * one, so a fingerprint holds only as long as the outputs are the same.
 */
const FINGERPRINTS = new WeakMap<Stack, { readonly outputs: number; readonly fingerprint: string }>();

/**
 * Makes a service stack follow replacements in the platform's stack. A weak reference
 * (`Fn::GetStackOutput`) is resolved when the consuming stack is created or updated, and the
 * consumer is not told when the value changes (CloudFormation template reference,
 * "Fn::GetStackOutput"); an unchanged service template is not even deployed. So each service
 * stack gets an empty `AWS::CloudFormation::WaitConditionHandle` whose logical id carries a
 * fingerprint of the definitions of every platform resource the platform's outputs name, with the
 * resources they reference in turn: a platform change that can replace one of them changes every
 * service template, whose next deployment reads the new values.
 */
export function followPlatformRevision(consumer: IConstruct, platform: IConstruct): void {
  const stack = Stack.of(consumer);
  const producer = Stack.of(platform);
  if (stack === producer) return;
  const id = `PlatformRevision-${producer.artifactId}`;
  if (stack.node.tryFindChild(id)) return;
  const marker = new CfnWaitConditionHandle(stack, id);
  marker.overrideLogicalId(Lazy.uncachedString({
    produce: () => `PlatformRevision${hash(producer.artifactId + fingerprintOf(producer)).slice(0, 16)}`,
  }));
}

function fingerprintOf(producer: Stack): string {
  const constructs = producer.node.findAll().filter((c) => Stack.of(c) === producer);
  const outputs = constructs.filter((c): c is CfnOutput => c instanceof CfnOutput);
  const cached = FINGERPRINTS.get(producer);
  if (cached?.outputs === outputs.length) return cached.fingerprint;
  const resources = new Map<string, CfnResource>();
  for (const c of constructs) if (CfnResource.isCfnResource(c)) resources.set(producer.resolve(c.logicalId), c);
  const seeds = outputs.flatMap((o) => referencedIds(producer.resolve(o.value)));
  const seen = new Map<string, unknown>();
  while (seeds.length > 0) {
    const logicalId = seeds.pop()!;
    const resource = resources.get(logicalId);
    if (seen.has(logicalId) || !resource) continue;
    // The resource's rendered definition (type, properties, and the rest): what CloudFormation
    // compares to decide on an update or a replacement.
    const definition = (producer.resolve(resource._toCloudFormation()) as { Resources?: { [id: string]: unknown } }).Resources?.[logicalId];
    seen.set(logicalId, definition);
    seeds.push(...referencedIds(definition));
  }
  const fingerprint = hash(JSON.stringify([...seen].sort(([a], [b]) => a.localeCompare(b))));
  FINGERPRINTS.set(producer, { outputs: outputs.length, fingerprint });
  return fingerprint;
}

/** Logical ids a resolved CloudFormation value refers to: Ref, Fn::GetAtt, Fn::Sub `${Id}` / `${Id.Attr}`. */
function referencedIds(value: unknown): string[] {
  const ids: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string' && !x.startsWith('AWS::')) ids.push(x);
      else if (k === 'Fn::GetAtt' && Array.isArray(x) && typeof x[0] === 'string') ids.push(x[0]);
      else if (k === 'Fn::Sub') {
        const template = Array.isArray(x) ? x[0] : x;
        if (typeof template === 'string') for (const m of template.matchAll(/\$\{([A-Za-z0-9]+)(\.[^}]*)?\}/g)) ids.push(m[1]);
      }
      walk(x);
    }
  };
  walk(value);
  return ids;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
