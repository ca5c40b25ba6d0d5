import * as logs from 'aws-cdk-lib/aws-logs';

/** Retention and encryption of the log groups of a platform and its services. */
export interface PlatformLogOptions {
  /**
   * Retention of every log group whose own retention prop is not set. Regulated accounts often
   * require a year (Control Tower CT.CLOUDWATCH.PR.2).
   *
   * @default - each log group's default: a month for application, access and authorizer logs,
   * three months for flow logs, a week for Envoy metrics
   */
  readonly retention?: logs.RetentionDays;

  /**
   * Encrypt every log group with a customer-managed KMS key: one key per stack (flow logs in the
   * platform's, a service's logs in its own), rotated yearly, kept when the stack is deleted so
   * that the retained logs stay readable. Its policy lets CloudWatch Logs use it for this
   * account's log groups in this region only, and lets no one create grants for a principal that
   * is not an AWS service (Control Tower CT.CLOUDWATCH.PR.3 and CT.KMS.PR.3). Each key costs $1 a
   * month. Turned off, CloudWatch Logs still encrypts log data at rest, with a key it owns
   * and the account cannot control or audit.
   *
   * @default true
   */
  readonly encryption?: boolean;
}
