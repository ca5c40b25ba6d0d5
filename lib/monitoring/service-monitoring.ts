import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { AlarmActionContext, AlarmActions, IAlarmActionStrategy } from './alarm-actions';
import { ALARM_CATALOG, specOf } from './alarm-catalog';
import { AlarmNaming, IAlarmNamingStrategy } from './alarm-naming';
import type { AlarmOverride, MicroserviceAlarmOptions } from './alarm-options';
import { AlarmSeverity } from './alarm-severity';
import { failedDeploymentRule } from './failed-deployments';
import { checkAlarmName, checkVariantOverride, validateAlarmOptions } from './alarm-validation';
import type { AlarmKey, AlarmSource, ServicePart } from '../private/binding';
import { safeName } from '../private/names';
import { PropErrors } from '../private/validation';

/** An extra alarm on a service's metrics, named and routed like the default ones. */
export interface ServiceAlarmProps {
  /** The metric. */
  readonly metric: cloudwatch.IMetric;
  /** The threshold. */
  readonly threshold: number;
  /**
   * How the metric is compared with the threshold.
   *
   * @default cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * Periods evaluated.
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods, of evaluationPeriods, that set off the alarm.
   *
   * @default - evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
  /**
   * How periods without data count.
   *
   * @default cloudwatch.TreatMissingData.NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * Critical alarms feed the health alarm and page; warnings notify.
   *
   * @default AlarmSeverity.WARNING
   */
  readonly severity?: AlarmSeverity;
  /**
   * The alarm description.
   *
   * @default - none
   */
  readonly description?: string;
}

/** What monitoring needs of its service. */
export interface ServiceMonitoringWiring {
  readonly name: string;
  readonly servicePath: string;
  readonly service: ecs.FargateService;
  /** The platform's alarm topic: what the default action strategy pages. */
  readonly alarmTopic: sns.ITopic;
  /** The platform's warning topic. */
  readonly warningTopic: sns.ITopic;
  readonly options: MicroserviceAlarmOptions;
  /** The service's parts in request order: front door, integration, tasks, cache, mesh. */
  readonly parts: ServicePart[];
  /** The service's own failed-deployment rule was created (counted against EventBridge's quota). */
  readonly onRuleCreated?: () => void;
}

/** Every alarm name of an app, by environment: CloudWatch alarm names are unique per account and region. */
const APP_ALARM_NAMES = new WeakMap<IConstruct, Map<string, string>>();

const DEPLOYMENT_ALARMS_DOC = 'rolls back a deployment';

/**
 * A service's alarms (every catalog entry that a part of the service measures, each
 * overridable), its composite health alarm, the ECS deployment alarms, the failed-deployment
 * notification and its dashboard. Created by `Microservice`.
 */
export class ServiceMonitoring extends Construct {
  /** @internal */
  public static _create(scope: Construct, id: string, wiring: ServiceMonitoringWiring): ServiceMonitoring {
    return new ServiceMonitoring(scope, id, wiring);
  }

  /**
   * Every alarm, by the key that overrides it in `alarms`: `api.latencyP99`, `mesh.serverErrors`;
   * one per backend, topic or subscription with its suffix, `edges.serverErrorRate.Payments`,
   * `messaging.queueDeadLetters.OrdersOrderPlaced`; an alarm `addAlarm` added by its id
   * (`QueueDepth`). The alarm's name ends with its construct id (`ApiLatencyP99`): the table of
   * default alarms in docs/monitoring.md has both.
   */
  public readonly alarms: { [key: string]: cloudwatch.Alarm } = {};
  /** The composite alarm over the critical alarms: it pages through the platform's alarm topic. */
  public readonly healthAlarm?: cloudwatch.CompositeAlarm;
  /** Name of the health alarm. */
  public readonly healthAlarmName: string;
  /** The service's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Names of the alarms that roll back a bad ECS deployment. */
  public readonly deploymentAlarmNames: string[] = [];
  private readonly critical: string[] = [];
  private readonly prefix: string;
  private readonly wiring: ServiceMonitoringWiring;
  private readonly enabled: boolean;
  private readonly parts: ServicePart[];
  private readonly actions: IAlarmActionStrategy;
  private readonly naming: IAlarmNamingStrategy;
  /** Every alarm name given, with the key it was given to: names are unique within the service. */
  private readonly names = new Map<string, string>();
  /** Construct ids taken by alarms: `addAlarm` ids share the scope with the defaults'. */
  private readonly ids = new Set<string>();
  /** The health alarm, then every alarm as it is created: read when a status widget renders, so later alarms show. */
  private readonly statusAlarms: cloudwatch.IAlarm[] = [];

  private constructor(scope: Construct, id: string, wiring: ServiceMonitoringWiring) {
    super(scope, id);
    this.wiring = wiring;
    this.parts = [...wiring.parts];
    validateAlarmOptions(wiring.servicePath, wiring.options);
    this.enabled = wiring.options.enabled ?? true;
    this.actions = wiring.options.actions ?? AlarmActions.platformTopics();
    this.naming = wiring.options.naming ?? AlarmNaming.stackAndService();
    this.prefix = safeName(`${Stack.of(this).stackName}-${wiring.name}`, 200);
    this.healthAlarmName = this.nameOf('health', 'health');

    if (this.enabled) {
      const failedDeployments = this.actions.failedDeploymentTopic(this.actionContext());
      if (failedDeployments && failedDeployments !== wiring.alarmTopic) this.parts.push(this.notifyFailedDeployments(failedDeployments));
      this.createDefaults(this.parts);
      this.healthAlarm = new cloudwatch.CompositeAlarm(this, 'Health', {
        compositeAlarmName: this.healthAlarmName,
        alarmDescription: `Health of ${wiring.servicePath}: in ALARM when any of its critical alarms is`,
        alarmRule: cloudwatch.AlarmRule.fromString(Lazy.string({
          produce: () => (this.critical.length ? this.critical.map((n) => `ALARM("${n}")`).join(' OR ') : 'FALSE'),
        })),
      });
      this.actions.addAlarmActions({ ...this.actionContext(), alarm: this.healthAlarm, key: 'health', severity: AlarmSeverity.CRITICAL, isHealthAlarm: true });
      this.statusAlarms.unshift(this.healthAlarm);
      for (const a of Object.values(this.alarms)) this.healthAlarm.node.addDependency(a);
      if (this.deploymentAlarmNames.length > 0) {
        wiring.service.enableDeploymentAlarms(this.deploymentAlarmNames, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
      }
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: this.prefix,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(...this.widgets());
  }

  /**
   * The prefix of the service's dashboard name and of its default alarm names (`<stack>-<service>`).
   *
   * @internal
   */
  public get _alarmPrefix(): string {
    return this.prefix;
  }

  /**
   * Adds a part that appears after construction (an edge to a backend): its default alarms, and
   * its rows at the end of the dashboard.
   *
   * @internal
   */
  public _addPart(part: ServicePart): void {
    this.parts.push(part);
    if (this.enabled) {
      const before = Object.values(this.alarms);
      this.createDefaults([part]);
      for (const a of Object.values(this.alarms).filter((x) => !before.includes(x))) this.healthAlarm?.node.addDependency(a);
    }
    for (const row of part.dashboardRows?.() ?? []) this.dashboard.addWidgets(new cloudwatch.Row(...row));
  }

  /**
   * Adds an alarm on the service's metrics, named and routed like the default ones (by
   * `alarms.naming` and `alarms.actions`; by default `<stack>-<service>-<id>`, and critical joins
   * the health alarm, which pages, while every alarm notifies the warning topic). It is
   * `alarms[id]`.
   */
  public addAlarm(id: string, props: ServiceAlarmProps): cloudwatch.Alarm {
    const errors = new PropErrors(`addAlarm('${id}') of ${this.wiring.servicePath}`);
    errors.text('id', id, /^[A-Za-z][A-Za-z0-9]{0,40}$/, 'PascalCase letters and digits, 1-41 characters');
    if (this.ids.has(id) || this.alarms[id] || id.toLowerCase() === 'health') errors.add(`id must be new, got "${id}" which the service already has`);
    if (!this.enabled) errors.add('alarms must be enabled (alarms.enabled is false), got an extra alarm');
    errors.integer('evaluationPeriods', props.evaluationPeriods, 1, 100);
    errors.integer('datapointsToAlarm', props.datapointsToAlarm, 1, props.evaluationPeriods ?? 3);
    errors.throwIfAny();
    const severity = props.severity ?? AlarmSeverity.WARNING;
    const periods = props.evaluationPeriods ?? 3;
    const alarmName = this.nameOf(id, id);
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName,
      metric: props.metric,
      threshold: props.threshold,
      comparisonOperator: props.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: props.datapointsToAlarm ?? periods,
      treatMissingData: props.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${props.description ?? id} (${severity}, ${this.wiring.servicePath})`,
    });
    this.route(id, id, alarmName, alarm, severity);
    if (this.healthAlarm) this.healthAlarm.node.addDependency(alarm);
    return alarm;
  }

  /**
   * The service's dashboard widgets, for a dashboard of your own: alarm status, the golden signals
   * (traffic, errors, latency, saturation), then one row per layer in request order (API,
   * integration, tasks, cache, mesh).
   */
  public widgets(): cloudwatch.IWidget[] {
    const rows: cloudwatch.IWidget[] = [];
    if (this.statusAlarms.length > 0) {
      rows.push(new cloudwatch.AlarmStatusWidget({ title: `${this.wiring.name}: alarms`, alarms: this.statusAlarms, width: 24, height: 3 }));
    }
    const signals = this.parts.find((p) => p.signals)?.signals;
    const graph = (title: string, metrics: cloudwatch.IMetric[]) => new cloudwatch.GraphWidget({ title, left: metrics, width: 6, height: 6 });
    // A graph without metrics is rejected by CloudWatch: a service no part sees requests of shows a note.
    const orNote = (title: string, metrics: cloudwatch.IMetric[] | undefined) => (metrics && metrics.length > 0 ? graph(title, metrics)
      : new cloudwatch.TextWidget({ markdown: `### ${title}\nNo request metrics: no part of this service publishes any to CloudWatch.`, width: 6, height: 6 }));
    const service = this.wiring.service;
    rows.push(new cloudwatch.Row(
      orNote('Traffic (requests)', signals?.traffic),
      orNote('Errors', signals?.errors),
      orNote('Latency p99 (ms)', signals?.latency),
      graph('Saturation (%)', [service.metricCpuUtilization({ period: Duration.minutes(1) }), service.metricMemoryUtilization({ period: Duration.minutes(1) })]),
    ));
    for (const part of this.parts) {
      for (const row of part.dashboardRows?.() ?? []) rows.push(new cloudwatch.Row(...row));
    }
    return rows;
  }

  /** What the action strategy knows of the service. */
  private actionContext(): AlarmActionContext {
    const { servicePath, alarmTopic, warningTopic } = this.wiring;
    return { servicePath, platformAlarmTopic: alarmTopic, platformWarningTopic: warningTopic };
  }

  /**
   * A failed deployment of this service to a topic other than the platform's alarm topic (which
   * the platform's one rule for its whole cluster already feeds): a rule of the service's, on the
   * default event bus (whose rules count against EventBridge's quota, 300 a bus by default). An
   * alert waiting in the rule's dead-letter queue raises `deployments.alertsUndelivered`, whose
   * actions reach people by CloudWatch's own path.
   */
  private notifyFailedDeployments(topic: sns.ITopic): ServicePart {
    const { service, servicePath } = this.wiring;
    const { deadLetters } = failedDeploymentRule(this, { description: `Failed deployments of ${servicePath}`, resources: [service.serviceArn], topic });
    this.wiring.onRuleCreated?.();
    return {
      alarms: [{
        key: 'deployments.alertsUndelivered',
        metric: (period) => deadLetters.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period }),
      }],
    };
  }

  /** The catalog entries the parts measure, in catalog order. */
  private createDefaults(parts: ServicePart[]): void {
    const sources = parts.flatMap((p) => p.alarms ?? []);
    for (const key of Object.keys(ALARM_CATALOG) as AlarmKey[]) {
      for (const source of sources.filter((s) => s.key === key)) this.createDefault(key, source);
    }
  }

  private createDefault(key: AlarmKey, source: AlarmSource): void {
    const spec = specOf(key, source.variant);
    const [layer, name] = key.split('.');
    const o: AlarmOverride = (this.wiring.options as { [layer: string]: { [name: string]: AlarmOverride | undefined } | undefined })[layer]?.[name] ?? {};
    if (o.enabled === false) return;
    if (source.variant !== undefined) checkVariantOverride(this.wiring.servicePath, key, source.variant, spec, o);
    const periods = o.evaluationPeriods ?? spec.evaluationPeriods;
    const threshold = o.threshold ?? source.threshold ?? spec.threshold;
    const id = `${spec.id}${source.idSuffix ?? ''}`;
    const alarmKey = source.idSuffix ? `${key}.${source.idSuffix}` : key;
    const what = source.whatSuffix ? `${spec.what} ${source.whatSuffix}` : spec.what;
    const alarmName = this.nameOf(id, alarmKey);
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName,
      metric: source.metric(Duration.minutes(spec.periodMinutes)),
      threshold: source.toMetricUnit ? source.toMetricUnit(threshold) : threshold,
      comparisonOperator: spec.comparison === '>='
        ? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: o.datapointsToAlarm ?? periods,
      treatMissingData: o.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${what} ${spec.comparison} ${threshold} (${spec.severity}${spec.rollback ? `; ${DEPLOYMENT_ALARMS_DOC}` : ''}, ${this.wiring.servicePath})`,
    });
    this.route(alarmKey, id, alarmName, alarm, spec.severity);
    if (spec.rollback) this.deploymentAlarmNames.push(alarmName);
  }

  /** An alarm's name, from the naming strategy (`<stack>-<service>-<id>` by default), checked. */
  private nameOf(id: string, key: string): string {
    const name = this.naming.alarmName({ stackName: Stack.of(this).stackName, serviceName: this.wiring.name, alarmId: id, key });
    checkAlarmName(this.wiring.servicePath, key, name, this.names);
    this.names.set(name, key);
    // Alarm names are unique per account and region: two services of the app (in stacks of one
    // environment) given the same name by a shared strategy would fail at deploy.
    if (!Token.isUnresolved(name)) {
      const stack = Stack.of(this);
      const names = APP_ALARM_NAMES.get(this.node.root) ?? new Map<string, string>();
      APP_ALARM_NAMES.set(this.node.root, names);
      const where = `${stack.account}/${stack.region}/${name}`;
      const other = names.get(where);
      if (other !== undefined) {
        throw new Error(`Invalid props for Microservice '${this.wiring.servicePath}':\n  - alarms.naming must give each alarm a name no other service of the account and region has (CloudWatch alarm names are unique there), got "${name}" for ${key}, which ${other} has`);
      }
      names.set(where, `${this.wiring.servicePath}'s ${key}`);
    }
    return name;
  }

  /**
   * Critical alarms feed the health alarm, whatever their actions; the action strategy gives every
   * alarm its actions (by default: the health alarm pages the alarm topic once per incident, and
   * every alarm, critical ones too, tells the warning topic, which never pages: Control Tower
   * CT.CLOUDWATCH.PR.1 wants an action on every alarm).
   */
  private route(key: string, id: string, name: string, alarm: cloudwatch.Alarm, severity: AlarmSeverity): void {
    this.alarms[key] = alarm;
    this.ids.add(id);
    this.statusAlarms.push(alarm);
    if (severity === AlarmSeverity.CRITICAL) this.critical.push(name);
    this.actions.addAlarmActions({ ...this.actionContext(), alarm, key, severity, isHealthAlarm: false });
  }
}
