import { Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ALARM_CATALOG, AlarmSpec, FLAT_ALARM_KEYS, specsOf, VARIANT_NAMES } from './alarm-catalog';
import type { AlarmOverride, MicroserviceAlarmOptions } from './alarm-options';
import type { AlarmKey } from '../private/binding';
import { fmt, PropErrors } from '../private/validation';

// Every check of `alarms`: its keys, each override, and the names a naming strategy gives.

const SETTINGS = ['enabled', 'actions', 'naming'];
const OVERRIDE_FIELDS = ['enabled', 'threshold', 'evaluationPeriods', 'datapointsToAlarm', 'treatMissingData'];
const TREAT_MISSING_DATA = Object.values(cloudwatch.TreatMissingData);
/** CloudWatch's alarm names: "can't contain ASCII control characters" (PutMetricAlarm, AlarmName). */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const MAX_ALARM_NAME = 255;

/** The keys of each group of `alarms`, from the catalog. */
function groups(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of Object.keys(ALARM_CATALOG)) {
    const [layer, name] = key.split('.');
    out.set(layer, [...out.get(layer) ?? [], name]);
  }
  return out;
}

/** The thresholds an override of `spec` may set: its range, 0 to 100 for a percentage, 0 and up otherwise. */
function thresholdRange(spec: AlarmSpec): readonly [number, number] {
  return spec.range ?? [0, spec.what.includes('%') ? 100 : Number.MAX_SAFE_INTEGER];
}

/** The most evaluation periods an override may set (no default alarm is a Metrics Insights alarm, which CloudWatch evaluates over 3 hours at most). */
const MAX_PERIODS = 100;

/** Checks one override against one spec; `where` names a data plane for an entry with variants. */
function checkOverride(errors: PropErrors, prop: string, o: AlarmOverride, specs: AlarmSpec[], where = ''): void {
  const [min, max] = [Math.min(...specs.map((s) => thresholdRange(s)[0])), Math.max(...specs.map((s) => thresholdRange(s)[1]))];
  errors.range(`${prop}.threshold${where}`, o.threshold, min, max);
  errors.integer(`${prop}.evaluationPeriods${where}`, o.evaluationPeriods, 1, MAX_PERIODS);
  // CloudWatch refuses more datapoints than periods, overridden or not.
  errors.integer(`${prop}.datapointsToAlarm${where}`, o.datapointsToAlarm, 1, o.evaluationPeriods ?? Math.max(...specs.map((s) => s.evaluationPeriods)));
  errors.oneOf(`${prop}.treatMissingData`, o.treatMissingData, TREAT_MISSING_DATA);
  for (const field of Object.keys(o).filter((f) => !OVERRIDE_FIELDS.includes(f))) {
    errors.add(`${prop} must have only ${OVERRIDE_FIELDS.join(', ')}, got ${field}`);
  }
}

/**
 * Checks `alarms` before anything is created: every group and key is the catalog's (a flat key of
 * before the groups is named with its new place), every override is in range for some data plane
 * (the plane's own range is checked when its alarm is created: `checkVariantOverride`), and the
 * strategies are strategies.
 */
export function validateAlarmOptions(servicePath: string, o: MicroserviceAlarmOptions): void {
  const errors = new PropErrors(`Microservice '${servicePath}'`);
  const known = groups();
  for (const [layer, group] of Object.entries(o as { [layer: string]: unknown })) {
    if (SETTINGS.includes(layer) || group === undefined) continue;
    if (!known.has(layer)) {
      const moved = FLAT_ALARM_KEYS[layer];
      errors.add(moved
        ? `alarms.${layer} is now alarms.${moved} (the overrides are grouped by layer), got alarms.${layer}`
        : `alarms must have only ${[...SETTINGS, ...known.keys()].join(', ')}, got ${layer}`);
      continue;
    }
    if (typeof group !== 'object' || group === null) {
      errors.add(`alarms.${layer} must be an object of overrides (${known.get(layer)!.join(', ')}), got ${fmt(group)}`);
      continue;
    }
    for (const [name, override] of Object.entries(group as { [name: string]: AlarmOverride | undefined })) {
      const key = `${layer}.${name}` as AlarmKey;
      if (!known.get(layer)!.includes(name)) {
        errors.add(`alarms.${layer} must have only ${known.get(layer)!.join(', ')}, got ${name}`);
      } else if (override) {
        checkOverride(errors, `alarms.${key}`, override, specsOf(ALARM_CATALOG[key]).map((s) => s.spec));
      }
    }
  }
  if (o.actions !== undefined && (typeof o.actions?.addAlarmActions !== 'function' || typeof o.actions?.failedDeploymentTopic !== 'function')) {
    errors.add(`alarms.actions must be an IAlarmActionStrategy (AlarmActions.platformTopics(), snsTopics(), none() or your own), got ${fmt(o.actions)}`);
  }
  if (o.naming !== undefined && typeof o.naming?.alarmName !== 'function') {
    errors.add(`alarms.naming must be an IAlarmNamingStrategy (AlarmNaming.stackAndService(), withPrefix() or your own), got ${fmt(o.naming)}`);
  }
  errors.throwIfAny();
}

/** Checks the override of an entry with variants against the spec of the plane the service is on, when its alarm is created. */
export function checkVariantOverride(servicePath: string, key: AlarmKey, variant: string, spec: AlarmSpec, o: AlarmOverride): void {
  const errors = new PropErrors(`Microservice '${servicePath}'`);
  checkOverride(errors, `alarms.${key}`, o, [spec], ` (on ${VARIANT_NAMES[variant] ?? variant})`);
  errors.throwIfAny();
}

/**
 * Checks a name a naming strategy gave: at most 255 characters without ASCII control characters
 * (CloudWatch's PutMetricAlarm), not empty, and unique within the service (`taken`: name → key).
 */
export function checkAlarmName(servicePath: string, key: string, name: string, taken: Map<string, string>): void {
  const errors = new PropErrors(`Microservice '${servicePath}'`);
  if (typeof name !== 'string') {
    errors.add(`alarms.naming must return a string for ${key}, got ${fmt(name)}`);
  } else if (!Token.isUnresolved(name)) {
    if (name.length === 0 || name.length > MAX_ALARM_NAME || CONTROL_CHARACTERS.test(name)) {
      errors.add(`alarms.naming must give ${key} a name of 1 to ${MAX_ALARM_NAME} characters without ASCII control characters, got ${fmt(name)} (${name.length} characters)`);
    }
    // The health alarm's rule names each critical alarm as ALARM("<name>"): a double quote ends it.
    if (name.includes('"')) errors.add(`alarms.naming must give ${key} a name without a double quote (the health alarm's rule quotes each name), got ${fmt(name)}`);
    const other = taken.get(name);
    if (other !== undefined) errors.add(`alarms.naming must give each alarm of the service its own name, got ${fmt(name)} for both ${other} and ${key}`);
  }
  errors.throwIfAny();
}
