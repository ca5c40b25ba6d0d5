import { Aws, Stack } from 'aws-cdk-lib';
import * as xray from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { safeName } from '../private/names';

/**
 * The X-Ray resource policy that lets SNS send the segments of actively traced topics: the SNS
 * console creates it, CloudFormation does not (X-Ray guide, "Amazon SNS and AWS X-Ray"). One per
 * platform, for the topics of this account and region only; X-Ray policies are per account and
 * region, so its name carries the platform's stack.
 */
export function createSnsTracingPolicy(platform: Construct): xray.CfnResourcePolicy {
  const stack = Stack.of(platform);
  return new xray.CfnResourcePolicy(platform, 'SnsTracingPolicy', {
    policyName: safeName(`${stack.stackName}-sns-tracing`, 128),
    policyDocument: stack.toJsonString({
      Version: '2012-10-17',
      Statement: [{
        Sid: 'SnsActiveTracing',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['xray:PutTraceSegments', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:sns:${Aws.REGION}:${Aws.ACCOUNT_ID}:*` },
        },
      }],
    }),
  });
}
