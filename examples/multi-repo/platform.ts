// Many repositories, one platform: the platform team's app. It publishes its contract under the
// name "shop" (an SSM parameter, /cdk-microservice/shop/platform): services of other apps join it by
// that name, and adding one never changes this stack. Its VPC's Availability Zones are looked up in
// ENV once and kept in cdk.context.json, committed with the app, as for any VPC of an explicit env.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MicroservicePlatform } from 'cdk-microservice';

/** The account and region every app of the organisation deploys to: contracts are looked up there. */
export const ENV = { account: '123456789012', region: 'eu-west-1' };

export function build(app: App): App {
  const stack = new Stack(app, 'ShopPlatform', { env: ENV });
  new MicroservicePlatform(stack, 'Platform', { platformName: 'shop', logs: { retention: logs.RetentionDays.ONE_YEAR } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

if (require.main === module) build(new App()).synth();
