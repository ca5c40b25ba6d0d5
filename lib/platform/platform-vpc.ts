import { Aws, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { conditionTrust } from '../private/grants';
import { createLogGroup, LogSettings } from '../private/log-groups';

/** The VPC a platform creates and its flow log. */
export interface PlatformVpc {
  readonly vpc: ec2.Vpc;
  readonly flowLog: ec2.FlowLog;
}

/**
 * Two AZs, a public and a private-with-egress subnet in each, flow logs of all traffic. Only NAT
 * gateways live in the public subnets, which therefore give nothing a public IP on launch (NAT
 * gateways take their Elastic IP, not the subnet's setting: VPC guide, "NAT gateways"; Control
 * Tower CT.EC2.PR.11).
 */
export function createPlatformVpc(scope: Construct, o: {
  readonly natGateways: number;
  readonly flowLogRetention?: logs.RetentionDays;
  readonly logs: LogSettings;
}): PlatformVpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    // The default security group without any rule, whatever the app's feature flags (its default
    // follows @aws-cdk/aws-ec2:restrictDefaultSecurityGroup, which a fresh app may not set).
    restrictDefaultSecurityGroup: true,
    natGateways: o.natGateways,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
    ],
  });
  const flowLogGroup = createLogGroup(scope, 'FlowLogGroup', o.logs, {
    retention: o.flowLogRetention,
    defaultRetention: logs.RetentionDays.THREE_MONTHS,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const flowLog = vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
    trafficType: ec2.FlowLogTrafficType.ALL,
  });
  // Only VPC Flow Logs of this account's flow logs may assume its role (VPC guide, "Publish flow
  // logs to CloudWatch Logs": aws:SourceAccount and aws:SourceArn of the flow log).
  conditionTrust(flowLog.iamRole!, `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:vpc-flow-log/*`);
  // aws-cdk-lib's provider behind @aws-cdk/aws-ec2:restrictDefaultSecurityGroup, one per stack.
  const provider = Stack.of(scope).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  if (provider) {
    Validations.of(provider).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
      reason: 'aws-cdk-lib\'s own deployment-time function (the restrictDefaultSecurityGroup feature flag) that removes the rules of the VPC\'s default security group; it calls only the EC2 API and aws-cdk-lib offers no VPC placement for it.',
    });
  }
  return { vpc, flowLog };
}
