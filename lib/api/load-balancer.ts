import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
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
  /**
   * Whether the load balancer refuses to be deleted. CloudFormation cannot delete a protected
   * load balancer either: set it to false and deploy before deleting the service or moving it
   * to `ApiIntegration.cloudMap()`.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * TLS from API Gateway to the load balancer: an HTTPS listener on port 443 with this
   * certificate and ELB's recommended TLS 1.3 policy, in place of HTTP on port 80. API Gateway
   * verifies it against `serverName` (an ACM public certificate for that name). Needs `serverName`.
   *
   * @default - HTTP on port 80, inside the VPC and reachable only from the platform's VPC link
   */
  readonly certificate?: acm.ICertificate;
  /**
   * The name API Gateway sends (SNI) and verifies the load balancer's certificate against: a
   * lower-case DNS name the certificate covers, `orders.internal.example.com`. Only with `certificate`.
   *
   * @default - none: required with `certificate`
   */
  readonly serverName?: string;
  /**
   * Protocol from the load balancer to the tasks and of its health check. HTTPS when the app
   * serves TLS on its container port; the load balancer does not verify the tasks' certificates,
   * so a self-signed one made at start-up works.
   *
   * @default elbv2.ApplicationProtocol.HTTP
   */
  readonly targetProtocol?: elbv2.ApplicationProtocol;
}

/** An internal load balancer in front of a service's tasks, with what monitoring reads of it. */
export interface ServiceLoadBalancer {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly part: ServicePart;
}

const HTTP_PORT = 80;
const HTTPS_PORT = 443;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function validateLoadBalancerOptions(errors: PropErrors, prefix: string, options: LoadBalancerIntegrationOptions): void {
  errors.text(`${prefix}healthCheckPath`, options.healthCheckPath, /^\/[\x21-\x7e]{0,1023}$/, 'an absolute path such as "/health"');
  errors.text(`${prefix}healthyHttpCodes`, options.healthyHttpCodes, /^([2-4][0-9]{2})([-,][2-4][0-9]{2})*$/, 'HTTP codes such as "200", "200,204" or "200-399"');
  errors.seconds(`${prefix}deregistrationDelay`, options.deregistrationDelay, 0, 3600);
  if (options.certificate && options.serverName === undefined) {
    errors.add(`${prefix}serverName is required with ${prefix}certificate (the name API Gateway verifies the certificate against), got none`);
  }
  if (!options.certificate && options.serverName !== undefined) {
    errors.add(`${prefix}serverName requires ${prefix}certificate (it names the certificate API Gateway verifies), got serverName ${JSON.stringify(options.serverName)} without a certificate`);
  }
  errors.text(`${prefix}serverName`, options.serverName, DNS_NAME, 'a lower-case DNS name the certificate covers, such as "orders.internal.example.com"');
  errors.oneOf(`${prefix}targetProtocol`, options.targetProtocol, [elbv2.ApplicationProtocol.HTTP, elbv2.ApplicationProtocol.HTTPS]);
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
  const tls = options.certificate !== undefined;
  const listenerPort = tls ? HTTPS_PORT : HTTP_PORT;
  lbSecurityGroup.addIngressRule(
    ec2.Peer.securityGroupId(target.vpcLinkSecurityGroup.securityGroupId),
    ec2.Port.tcp(listenerPort),
    'API Gateway through the platform VPC link',
  );
  const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
    vpc: target.vpc,
    vpcSubnets: target.subnets,
    internetFacing: false,
    securityGroup: lbSecurityGroup,
    dropInvalidHeaderFields: true,
    deletionProtection: options.deletionProtection ?? true,
  });
  if (options.accessLogBucket) {
    loadBalancer.logAccessLogs(options.accessLogBucket, Stack.of(scope).stackName);
  } else {
    Validations.of(loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: 'Internal load balancer reachable only from the API Gateway VPC link; the API stage access log records every request (request id, route, status, latency, caller).',
    });
    Validations.of(loadBalancer).acknowledge({
      id: 'cdk-validator-cfnguard::elbv2_logging_enabled_check',
      reason: 'No accessLogBucket given: internal load balancer reachable only from the API Gateway VPC link; the API stage access log records every request (request id, route, status, latency, caller).',
    });
  }
  const listener = loadBalancer.addListener('Listener', {
    port: listenerPort,
    protocol: tls ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
    certificates: options.certificate ? [options.certificate] : undefined,
    sslPolicy: tls ? elbv2.SslPolicy.RECOMMENDED_TLS : undefined,
    open: false,
  });
  if (!tls) {
    Validations.of(listener).acknowledge({
      id: 'cdk-validator-cfnguard::alb_http_to_https_redirection_check',
      reason: 'No certificate given: plain HTTP between API Gateway and an internal load balancer that only the platform VPC link can reach, inside the VPC; set certificate and serverName for TLS on this hop.',
    });
  }
  const targetGroup = listener.addTargets('Tasks', {
    port: target.containerPort,
    protocol: options.targetProtocol ?? elbv2.ApplicationProtocol.HTTP,
    targets: [target.service.loadBalancerTarget({ containerName: APP_CONTAINER_NAME, containerPort: target.containerPort })],
    deregistrationDelay: options.deregistrationDelay ?? Duration.seconds(30),
    healthCheck: {
      // ELB's health check protocol defaults to HTTP whatever the target protocol (ELB API
      // reference, CreateTargetGroup HealthCheckProtocol): an app that serves only TLS needs HTTPS.
      protocol: options.targetProtocol === elbv2.ApplicationProtocol.HTTPS ? elbv2.Protocol.HTTPS : undefined,
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
      { key: 'loadBalancer.target5xx', metric: (period) => m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }) },
      { key: 'loadBalancer.unhealthyHosts', metric: (period) => m.unhealthyHostCount({ period, statistic: 'Maximum' }) },
      { key: 'loadBalancer.targetResponseTime', metric: (period) => m.targetResponseTime({ period, statistic: 'p99' }) },
    ],
    dashboardRows: () => [[
      graph('Load balancer: target 5XX', [m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT)]),
      graph('Load balancer: healthy and unhealthy targets', [m.healthyHostCount(), m.unhealthyHostCount()]),
      graph('Load balancer: target response time p99 (s)', [m.targetResponseTime({ statistic: 'p99' })]),
    ]],
  };
  return { loadBalancer, listener, targetGroup, part };
}
