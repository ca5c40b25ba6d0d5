import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwactions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmSeverity } from './alarm-severity';
import { PropErrors } from '../private/validation';

/** What an alarm action strategy knows of the service whose alarms it equips. */
export interface AlarmActionContext {
  /** The service's construct path. */
  readonly servicePath: string;
  /** The platform's alarm topic: what pages. */
  readonly platformAlarmTopic: sns.ITopic;
  /** The platform's warning topic: never pages. */
  readonly platformWarningTopic: sns.ITopic;
}

/** One alarm of a service, as its action strategy is given it. */
export interface AlarmActionStrategyProps extends AlarmActionContext {
  /** The alarm: a metric alarm, or the service's composite health alarm. */
  readonly alarm: cloudwatch.AlarmBase;
  /**
   * The alarm's key in `ServiceMonitoring.alarms` (`api.latencyP99`, `edges.serverErrorRate.Payments`,
   * an `addAlarm` id), or `health` for the health alarm.
   */
  readonly key: string;
  /** Its severity; the health alarm is critical. */
  readonly severity: AlarmSeverity;
  /** Whether it is the composite health alarm, in ALARM while any critical alarm of the service is. */
  readonly isHealthAlarm: boolean;
}

/**
 * How a service's alarms get their actions, and where its failed deployments are sent: as
 * cdk-monitoring-constructs' `IAlarmActionStrategy`, called once per alarm. Implement it for
 * actions of your own (an incident tool, OK notifications), or take one of `AlarmActions`.
 */
export interface IAlarmActionStrategy {
  /**
   * Adds the actions of one alarm of the service: each default alarm, each alarm `addAlarm` adds,
   * and the health alarm (`isHealthAlarm`). Critical alarms feed the health alarm whatever actions
   * they get here.
   */
  addAlarmActions(props: AlarmActionStrategyProps): void;
  /**
   * The SNS topic the service's failed deployments (EventBridge `SERVICE_DEPLOYMENT_FAILED`) are
   * published to, or undefined for none besides the platform's. The platform's alarm topic gets
   * every failed deployment of its cluster from one rule of the platform's, whatever this returns;
   * another topic gets a rule of the service's own (one rule on the account's default event bus).
   * The topic's policy (and its key's, when encrypted) must let `events.amazonaws.com` publish:
   * the library adds nothing to a topic of yours.
   */
  failedDeploymentTopic(context: AlarmActionContext): sns.ITopic | undefined;
}

/** The topics of `AlarmActions.snsTopics()`. */
export interface SnsAlarmActionsOptions {
  /** What pages: the health alarm notifies it once per incident, and failed deployments are published to it. */
  readonly critical: sns.ITopic;
  /** What never pages: every alarm of the service notifies it, critical ones included. */
  readonly warning: sns.ITopic;
}

/** The built-in alarm action strategies (`alarms.actions`). */
export abstract class AlarmActions implements IAlarmActionStrategy {
  /**
   * The platform's topics (the default): the health alarm notifies the platform's alarm topic
   * (it pages once per incident), every alarm notifies the platform's warning topic (critical ones
   * too: every alarm has an action, as Control Tower's CT.CLOUDWATCH.PR.1 requires), and failed
   * deployments go to the alarm topic (through the platform's one rule: the service adds none). No
   * OK or insufficient-data actions.
   */
  public static platformTopics(): IAlarmActionStrategy {
    return new TopicAlarmActions();
  }

  /**
   * Topics of your own, routed as `platformTopics()` routes the platform's: the health alarm and
   * failed deployments to `critical`, every alarm to `warning`. CloudWatch (and EventBridge, for
   * `critical`) must be allowed to publish to them, and to use their KMS keys.
   */
  public static snsTopics(options: SnsAlarmActionsOptions): IAlarmActionStrategy {
    return new TopicAlarmActions(options);
  }

  /**
   * No actions: the alarms, the health alarm and the deployment alarms still exist (a dashboard
   * shows them, ECS still rolls back), but nobody is told of them. A failed deployment still
   * reaches the platform's alarm topic, through the platform's rule for its whole cluster. Control Tower's CT.CLOUDWATCH.PR.1 ("Require an Amazon CloudWatch alarm to have an action
   * configured for the alarm state") fails every alarm of the service.
   */
  public static none(): IAlarmActionStrategy {
    return new NoAlarmActions();
  }

  public abstract addAlarmActions(props: AlarmActionStrategyProps): void;
  public abstract failedDeploymentTopic(context: AlarmActionContext): sns.ITopic | undefined;
}

class TopicAlarmActions extends AlarmActions {
  constructor(private readonly topics?: SnsAlarmActionsOptions) {
    super();
    if (topics) {
      const errors = new PropErrors('AlarmActions.snsTopics()');
      for (const name of ['critical', 'warning'] as const) {
        const topic = topics[name];
        if (!topic || typeof topic.topicArn !== 'string') errors.add(`${name} must be an sns.ITopic, got ${topic === undefined ? 'undefined' : typeof topic}`);
      }
      errors.throwIfAny();
    }
  }

  public addAlarmActions(props: AlarmActionStrategyProps): void {
    const topic = props.isHealthAlarm
      ? this.topics?.critical ?? props.platformAlarmTopic
      : this.topics?.warning ?? props.platformWarningTopic;
    props.alarm.addAlarmAction(new cwactions.SnsAction(topic));
  }

  public failedDeploymentTopic(context: AlarmActionContext): sns.ITopic | undefined {
    return this.topics?.critical ?? context.platformAlarmTopic;
  }
}

class NoAlarmActions extends AlarmActions {
  public addAlarmActions(): void {
    // Nobody is told.
  }

  public failedDeploymentTopic(): sns.ITopic | undefined {
    return undefined;
  }
}
