import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** Lets `role` send traces to AWS X-Ray (what the X-Ray daemon and the ADOT collector call). */
export function grantXRayWrite(role: iam.IRole): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'],
    resources: ['*'],
  }));
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray trace and sampling actions support no resource-level permissions (Service Authorization Reference, AWS X-Ray).',
  });
}

