import { safeName } from '../private/names';
import { PropErrors } from '../private/validation';

/** One alarm of a service, as its naming strategy is given it. */
export interface AlarmNamingProps {
  /** The name of the service's stack. */
  readonly stackName: string;
  /** The service's name: its discovery name. */
  readonly serviceName: string;
  /**
   * The alarm's construct id, in PascalCase (`ApiLatencyP99`, `EdgeServerErrorRatePayments`, an
   * `addAlarm` id), or `health` for the health alarm.
   */
  readonly alarmId: string;
  /**
   * The alarm's key in `ServiceMonitoring.alarms` (`api.latencyP99`, `edges.serverErrorRate.Payments`,
   * an `addAlarm` id), or `health` for the health alarm.
   */
  readonly key: string;
}

/**
 * How a service's alarms are named, as cdk-monitoring-constructs' `IAlarmNamingStrategy`: called
 * once per alarm, the health alarm included. Each name is checked at synth: at most 255
 * characters, no ASCII control character (CloudWatch's `PutMetricAlarm`), and unique within the
 * service. CloudWatch wants names unique in the account and region: put something of the stack or
 * the service in them.
 */
export interface IAlarmNamingStrategy {
  /** The name of one alarm of the service. */
  alarmName(props: AlarmNamingProps): string;
}

/** The built-in alarm naming strategies (`alarms.naming`). */
export abstract class AlarmNaming implements IAlarmNamingStrategy {
  /**
   * `<stack>-<service>-<alarm id>` (the default): stack names are unique per account and region,
   * so alarm names are too. Characters other than letters, digits, `-` and `_` become `-`, and a
   * name past 255 characters keeps its start and end around a hash.
   */
  public static stackAndService(): IAlarmNamingStrategy {
    return new PrefixAlarmNaming();
  }

  /**
   * `<prefix>-<alarm id>`, shortened like `stackAndService()`'s: for alarm names your tools
   * expect. Give each service its own prefix.
   */
  public static withPrefix(prefix: string): IAlarmNamingStrategy {
    return new PrefixAlarmNaming(prefix);
  }

  public abstract alarmName(props: AlarmNamingProps): string;
}

class PrefixAlarmNaming extends AlarmNaming {
  constructor(private readonly prefix?: string) {
    super();
    const errors = new PropErrors('AlarmNaming.withPrefix()');
    errors.text('prefix', prefix, /^.{1,200}$/s, '1 to 200 characters');
    errors.throwIfAny();
  }

  public alarmName(props: AlarmNamingProps): string {
    // The prefix within 200 characters, so the id keeps its place in the name.
    const prefix = safeName(this.prefix ?? `${props.stackName}-${props.serviceName}`, 200);
    return safeName(`${prefix}-${props.alarmId}`, 255);
  }
}
