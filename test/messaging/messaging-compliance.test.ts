// cdk-nag's AwsSolutions pack and AWS Control Tower's proactive controls (strict) over one app with
// every messaging shape: a traced FIFO topic, a subscriber with a filter, and a scale-to-zero worker.
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Microservice, MicroservicePlatform , Tracing } from '../../lib';
import { StrictControlTowerChecks } from '../guard';
import { unacknowledgedFindings } from '../nag';
import { IMAGE, testApp } from '../util';

test('a FIFO topic, a filtered subscriber and a scale-to-zero worker leave no cdk-nag or Control Tower finding', () => {
  const app = testApp();
  const platform = new MicroservicePlatform(new Stack(app, 'Platform'), 'Platform', { natGateways: 1, logs: { retention: logs.RetentionDays.ONE_YEAR } });
  const common = { platform, image: IMAGE, user: '101', writablePaths: ['/tmp', '/var/cache/nginx'], tracing: Tracing.openTelemetry() };
  const orders = new Microservice(new Stack(app, 'Orders'), 'Orders', common);
  const ledger = orders.addTopic('LedgerEntry', { fifo: true, contentBasedDeduplication: true });
  const placed = orders.addTopic('OrderPlaced');
  const billing = new Microservice(new Stack(app, 'Billing'), 'Billing', common);
  billing.subscribe(ledger, { filterPolicy: { channel: sns.SubscriptionFilter.stringFilter({ allowlist: ['retail'] }) }, maxReceiveCount: 3 });
  const mailer = new Microservice(new Stack(app, 'Mailer'), 'Mailer', { ...common, autoScaling: { minCapacity: 0, maxCapacity: 4 } });
  mailer.subscribe(placed, { scaleOnBacklog: { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.millis(200) } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new StrictControlTowerChecks());

  expect(unacknowledgedFindings(app)).toEqual([]);
});
