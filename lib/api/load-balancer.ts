import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { IntegrationTarget, ServicePart } from '../private/binding';
import { APP_CONTAINER_NAME } from '../private/names';
import { PropErrors } from '../private/validation';

/** Options of {@link ApiIntegration.loadBalancer}, and of a REST API's `loadBalancer`. */
export interface LoadBalancerIntegrationOptions {
  /**
   * Path of the target group's HTTP health check.
   *
   * @default '/'
   */
  readonly healthCheckPath?: string;
  /**
   * HTTP codes a healthy target answers with, `200`, `200,204` or `200-399`.
   *
   * @default '200-399'
   */
  readonly healthyHttpCodes?: string;
  /**
   * How long a deregistering task keeps receiving in-flight requests, 0 to 3600 seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly deregistrationDelay?: Duration;
  /**
   * Bucket for the load balancer's access logs. Needs a stack with a concrete region
   * (ELB's log delivery principal is regional).
   *
   * @default - no load balancer access logs; the API stage's access log records every request
   */
  readonly accessLogBucket?: s3.IBucket;
}

/** An internal load balancer in front of a service's tasks, with what monitoring reads of it. */
export interface ServiceLoadBalancer {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly part: ServicePart;
}

const LISTENER_PORT = 80;

export function validateLoadBalancerOptions(subject: string, prefix: string, options: LoadBalancerIntegrationOptions): void {
  const errors = new PropErrors(subject);
  errors.text(`${prefix}healthCheckPath`, options.healthCheckPath, /^\/[\x21-\x7e]{0,1023}$/, 'an absolute path such as "/health"');
  errors.text(`${prefix}healthyHttpCodes`, options.healthyHttpCodes, /^([2-4][0-9]{2})([-,][2-4][0-9]{2})*$/, 'HTTP codes such as "200", "200,204" or "200-399"');
  errors.seconds(`${prefix}deregistrationDelay`, options.deregistrationDelay, 0, 3600);
  errors.throwIfAny();
}

/**
 * An internal ALB in the service's subnets that only the platform's VPC link may reach, with one
 * target group of the service's tasks.
 */
export function createLoadBalancer(scope: Construct, target: IntegrationTarget, options: LoadBalancerIntegrationOptions): ServiceLoadBalancer {
  const lbSecurityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
    vpc: target.vpc,
    description: `Internal load balancer of ${scope.node.path}: only the platform VPC link may connect`,
    allowAllOutbound: false,
  });
  lbSecurityGroup.addIngressRule(
    ec2.Peer.securityGroupId(target.vpcLinkSecurityGroup.securityGroupId),
    ec2.Port.tcp(LISTENER_PORT),
    'API Gateway through the platform VPC link',
  );
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc: target.vpc,
    vpcSubnets: target.subnets,
    internetFacing: false,
    securityGroup: lbSecurityGroup,
    dropInvalidHeaderFields: true,
    deletionProtection: false,
  });
  if (options.accessLogBucket) {
    loadBalancer.logAccessLogs(options.accessLogBucket, Stack.of(scope).stackName);
  } else {
    Validations.of(loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Internal load balancer reachable only from the API Gateway VPC link; the API stage access log records every request (request id, route, status, latency, caller).',
    });
  }
  const listener = loadBalancer.addListener('Listener', {
    port: LISTENER_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    open: false,
  });
  const targetGroup = listener.addTargets('Tasks', {
    port: target.containerPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [target.service.loadBalancerTarget({ containerName: APP_CONTAINER_NAME, containerPort: target.containerPort })],
    deregistrationDelay: options.deregistrationDelay ?? Duration.seconds(30),
    healthCheck: {
      path: options.healthCheckPath ?? '/',
      healthyHttpCodes: options.healthyHttpCodes ?? '200-399',
      interval: Duration.seconds(15),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    },
  });
  // Registering the service as a target opens the load balancer's security group to the tasks
  // on the container port (an egress rule on the load balancer, an ingress rule on the tasks):
  // the tasks admit nothing else.
  const m = targetGroup.metrics;
  const graph = (title: string, left: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left, width: 8, height: 6 });
  const part: ServicePart = {
    alarms: [
      { key: 'loadBalancerTarget5xx', metric: (period) => m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }) },
      { key: 'loadBalancerUnhealthyHosts', metric: (period) => m.unhealthyHostCount({ period, statistic: 'Maximum' }) },
      { key: 'loadBalancerTargetResponseTime', metric: (period) => m.targetResponseTime({ period, statistic: 'p99' }) },
    ],
    dashboardRows: () => [[
      graph('Load balancer: target 5XX', [m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)]),
      graph('Load balancer: healthy and unhealthy targets', [m.healthyHostCount(), m.unhealthyHostCount()]),
      graph('Load balancer: target response time p99 (s)', [m.targetResponseTime({ statistic: 'p99' })]),
    ]],
  };
  return { loadBalancer, listener, targetGroup, part };
}
