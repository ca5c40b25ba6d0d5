/**
 * Checks an Envoy bootstrap (a plain JS object in proto3 JSON form) against Envoy's own v3 API
 * definitions, as shipped under `@grpc/grpc-js-xds/deps`, without an Envoy binary.
 *
 * The walk is done here rather than with protobufjs `fromObject`/`verify`, which ignore unknown
 * fields and accept loose types. It checks field names (snake_case proto names only: Envoy also
 * accepts the lowerCamelCase json_name, but generated configs keep one spelling), scalar types and
 * ranges, enums, repeated fields, maps, oneofs, well-known types, `Any` payloads, deprecated
 * fields/values, and a subset of protoc-gen-validate (PGV) rules read from field options.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Enum, Field, MapField, Root, Type } from 'protobufjs';

/** v3 files loaded; their imports come along. An `Any` may only name a type from these. */
export const ENVOY_PROTO_FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/access_loggers/file/v3/file.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
];

export interface EnvoyProtos { root: Root; loadMs: number; missing: string[] }
let cached: EnvoyProtos | undefined;

/** Loads the protos once per process. Imports found in no include dir are skipped and listed in `missing`. */
export function loadEnvoyProtos(): EnvoyProtos {
  if (cached) return cached;
  const start = performance.now();
  const deps = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
  // ENVOY_API_DIR: a newer checkout of envoyproxy/data-plane-api to check against instead of the
  // snapshot @grpc/grpc-js-xds ships (its other dependencies still come from the package).
  const includeDirs = [
    ...(process.env.ENVOY_API_DIR ? [process.env.ENVOY_API_DIR] : []),
    ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => path.join(deps, d)),
    path.dirname(require.resolve('protobufjs/package.json')), // google/protobuf/descriptor.proto
  ];
  const missing: string[] = [];
  const root = new Root();
  // google/protobuf/{any,duration,struct,...}.proto are bundled in protobufjs and never reach here.
  root.resolvePath = (_origin, target) => {
    if (path.isAbsolute(target)) return target;
    const found = includeDirs.map((d) => path.join(d, target)).find((p) => fs.existsSync(p));
    if (!found && !missing.includes(target)) missing.push(target);
    return found ?? null; // null: skip the import
  };
  try {
    root.loadSync(ENVOY_PROTO_FILES, { keepCase: true }); // keepCase: field names stay snake_case
    root.lookupType('envoy.config.bootstrap.v3.Bootstrap');
  } catch (e) {
    throw new Error(`Envoy protos failed to load (missing files: ${missing.join(', ') || 'none'}): ${(e as Error).message}`);
  }
  cached = { root, loadMs: performance.now() - start, missing };
  return cached;
}

/** Returns the problems found in `bootstrap`, each prefixed by its JSON path; [] when valid. */
export function checkEnvoyBootstrap(bootstrap: unknown): string[] {
  const { root } = loadEnvoyProtos();
  const out: string[] = [];
  checkMessage(root, root.lookupType('envoy.config.bootstrap.v3.Bootstrap'), bootstrap, '', out);
  return out;
}

const INT_RANGES: Record<string, [bigint, bigint]> = {};
for (const t of ['int32', 'sint32', 'sfixed32']) INT_RANGES[t] = [-(2n ** 31n), 2n ** 31n - 1n];
for (const t of ['uint32', 'fixed32']) INT_RANGES[t] = [0n, 2n ** 32n - 1n];
for (const t of ['int64', 'sint64', 'sfixed64']) INT_RANGES[t] = [-(2n ** 63n), 2n ** 63n - 1n];
for (const t of ['uint64', 'fixed64']) INT_RANGES[t] = [0n, 2n ** 64n - 1n];
const WRAPPERS: Record<string, string> = {
  DoubleValue: 'double', FloatValue: 'float', Int64Value: 'int64', UInt64Value: 'uint64', Int32Value: 'int32',
  UInt32Value: 'uint32', BoolValue: 'bool', StringValue: 'string', BytesValue: 'bytes',
};
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const ANY_PREFIX = 'type.googleapis.com/';
/** Well-known types with a non-object JSON form (and Any itself): inside an Any they sit under "value". */
const SPECIAL_JSON = /^google\.protobuf\.(Any|Duration|Timestamp|FieldMask|Struct|ListValue|\w*Value)$/;

const join = (p: string, key: string) => (p ? `${p}.${key}` : key);
const at = (p: string) => p || '<root>';
const show = (v: unknown) => `${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} ${JSON.stringify(v)?.slice(0, 60)}`;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const absent = (v: unknown) => v === undefined || v === null; // proto3 JSON: null means "not set"
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Checks a JSON value against message type `type`, including the JSON forms of well-known types. */
function checkMessage(root: Root, type: Type, json: unknown, p: string, out: string[]): void {
  const name = type.fullName.replace(/^\./, '');
  if (type.options?.deprecated) out.push(`${at(p)}: message type ${name} is deprecated`);
  if (name.startsWith('google.protobuf.')) {
    const wkt = name.slice('google.protobuf.'.length);
    if (WRAPPERS[wkt]) return void checkScalar(WRAPPERS[wkt], json, p, out); // wrappers are the bare scalar
    if (wkt === 'Duration' || wkt === 'Timestamp') {
      if (typeof json !== 'string' || !(wkt === 'Duration' ? DURATION : TIMESTAMP).test(json) || (wkt === 'Timestamp' && isNaN(Date.parse(json)))) {
        out.push(`${at(p)}: expected a ${wkt} string like ${wkt === 'Duration' ? '"1.5s"' : '"2024-01-01T00:00:00Z"'}, got ${show(json)}`);
      } else if (wkt === 'Duration' && BigInt(DURATION.exec(json)![2]) > 315_576_000_000n) out.push(`${at(p)}: Duration out of range`);
      return;
    }
    if (wkt === 'Value') return;
    if (wkt === 'Struct' && !isObject(json)) return void out.push(`${at(p)}: expected a JSON object (Struct), got ${show(json)}`);
    if (wkt === 'ListValue' && !Array.isArray(json)) return void out.push(`${at(p)}: expected an array (ListValue), got ${show(json)}`);
    if (wkt === 'FieldMask' && typeof json !== 'string') return void out.push(`${at(p)}: expected a comma-separated string (FieldMask), got ${show(json)}`);
    if (wkt === 'Struct' || wkt === 'ListValue' || wkt === 'FieldMask') return;
    if (wkt === 'Empty' && !(isObject(json) && Object.keys(json).length === 0)) return void out.push(`${at(p)}: expected {} (Empty), got ${show(json)}`);
    if (wkt === 'Any') return checkAny(root, json, p, out);
  }
  if (!isObject(json)) return void out.push(`${at(p)}: expected an object (${name}), got ${show(json)}`);
  const mistyped = new Set<string>(); // fields whose value already has a type problem skip the PGV rules
  for (const [key, value] of Object.entries(json)) {
    if (value === undefined) continue; // dropped by JSON serialisation
    const field = type.fields[key];
    if (!field) {
      const byJsonName = type.fieldsArray.find((f) => camel(f.name) === key);
      const hint = byJsonName ? ` (use the proto field name "${byJsonName.name}")`
        : type.isReservedName(key) ? ' (a removed, reserved field name)' : '';
      out.push(`${join(p, key)}: unknown field "${key}" in ${name}${hint}`);
      continue;
    }
    if (field.options?.deprecated && !absent(value)) out.push(`${join(p, key)}: field ${name}.${key} is deprecated`);
    const before = out.length;
    if (!absent(value)) checkField(root, field, value, join(p, key), out);
    if (out.length > before) mistyped.add(key);
  }
  for (const oneof of type.oneofsArray) {
    const set = oneof.oneof.filter((f) => !absent(json[f]));
    if (set.length > 1) out.push(`${at(p)}: oneof ${name}.${oneof.name} allows one of its fields, got ${set.join(', ')}`);
    if (set.length === 0 && oneof.options?.['(validate.required)']) out.push(`${at(p)}: oneof ${name}.${oneof.name} requires one of ${oneof.oneof.join(', ')}`);
  }
  for (const field of type.fieldsArray) if (!mistyped.has(field.name)) checkRules(field, json[field.name], join(p, field.name), out);
}

/** An `Any` is `{"@type": "type.googleapis.com/<type>", ...fields}`, or `{"@type", "value"}` for SPECIAL_JSON types. */
function checkAny(root: Root, json: unknown, p: string, out: string[]): void {
  if (!isObject(json)) return void out.push(`${at(p)}: expected an Any object with "@type", got ${show(json)}`);
  const url = json['@type'];
  const typeName = typeof url === 'string' && url.startsWith(ANY_PREFIX) ? url.slice(ANY_PREFIX.length) : undefined;
  const found = typeName ? root.lookup(typeName) : null;
  // lookup also matches partial names ("Router"), so the full name must match exactly.
  if (!(found instanceof Type) || found.fullName !== `.${typeName}`) {
    return void out.push(`${join(p, '@type')}: ${typeof url === 'string' ? `"${url}" does not name a loaded message type (expected "${ANY_PREFIX}<full.type.Name>")` : `an Any needs a string "@type", got ${show(url)}`}`);
  }
  const { '@type': _url, ...rest } = json;
  if (SPECIAL_JSON.test(typeName!)) checkMessage(root, found, rest.value, join(p, 'value'), out);
  else checkMessage(root, found, rest, p, out);
}

/** Checks one present field value: repeated, map, message, enum or scalar. */
function checkField(root: Root, field: Field | MapField, value: unknown, p: string, out: string[]): void {
  if (field instanceof MapField) {
    if (!isObject(value)) return void out.push(`${p}: expected an object (map<${field.keyType}, ${field.type}>), got ${show(value)}`);
    for (const [k, v] of Object.entries(value)) {
      const kp = `${p}[${JSON.stringify(k)}]`;
      if (field.keyType === 'bool' && k !== 'true' && k !== 'false') out.push(`${kp}: map key must be "true" or "false"`);
      else if (INT_RANGES[field.keyType]) checkScalar(field.keyType, k, `${kp} (key)`, out);
      if (absent(v)) out.push(`${kp}: map values cannot be null`);
      else checkSingle(root, field, v, kp, out);
    }
  } else if (field.repeated) {
    if (!Array.isArray(value)) return void out.push(`${p}: expected an array (repeated ${field.type}), got ${show(value)}`);
    value.forEach((v, i) => (absent(v) ? out.push(`${p}[${i}]: repeated elements cannot be null`) : checkSingle(root, field, v, `${p}[${i}]`, out)));
  } else checkSingle(root, field, value, p, out);
}

function checkSingle(root: Root, field: Field | MapField, value: unknown, p: string, out: string[]): void {
  const t = field.resolvedType;
  if (t instanceof Type) checkMessage(root, t, value, p, out);
  else if (t instanceof Enum) checkEnum(t, value, p, out);
  else checkScalar(field.type, value, p, out);
}

function checkEnum(e: Enum, value: unknown, p: string, out: string[]): void {
  const name = typeof value === 'string' ? value : Object.keys(e.values).find((k) => e.values[k] === value);
  if (name === undefined || !Object.prototype.hasOwnProperty.call(e.values, name)) {
    return void out.push(`${p}: ${show(value)} is not a value of enum ${e.fullName.slice(1)} (${Object.keys(e.values).join(', ')})`);
  }
  if (e.options?.deprecated || e.valuesOptions?.[name]?.deprecated) out.push(`${p}: enum value ${e.fullName.slice(1)}.${name} is deprecated`);
}

/** Checks a scalar of proto type `kind` in its proto3 JSON form. */
function checkScalar(kind: string, v: unknown, p: string, out: string[]): void {
  const bad = (want: string): void => void out.push(`${p}: expected ${want}, got ${show(v)}`);
  if (INT_RANGES[kind]) {
    if (typeof v === 'number' && !Number.isInteger(v)) return bad(`an integer (${kind})`);
    if (typeof v === 'number' && !Number.isSafeInteger(v)) return bad(`a ${kind} within ±2^53 as a number (use a decimal string beyond)`);
    if (!(typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v)))) return bad(`an integer (${kind})`);
    const n = BigInt(v);
    const [lo, hi] = INT_RANGES[kind];
    if (n < lo || n > hi) out.push(`${p}: ${v} is out of range for ${kind} [${lo}, ${hi}]`);
  } else if (kind === 'double' || kind === 'float') {
    // JSON has no NaN/Infinity literals: proto3 JSON spells them as strings; numeric strings are accepted too.
    const special = typeof v === 'string' && /^(NaN|-?Infinity)$/.test(v);
    if (typeof v === 'number' ? !isFinite(v) : !(special || (typeof v === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v)))) {
      return bad(`a finite number or "NaN"/"Infinity"/"-Infinity" (${kind})`);
    }
    if (kind === 'float' && !special && Math.abs(Number(v)) > 3.4028234663852886e38) out.push(`${p}: ${v} is out of range for float`);
  } else if (kind === 'bool') {
    if (typeof v !== 'boolean') bad('a boolean');
  } else if (kind === 'string') {
    if (typeof v !== 'string') bad('a string');
  } else if (kind === 'bytes') {
    if (typeof v !== 'string' || !BASE64.test(v)) bad('a base64 string (bytes)');
  } else out.push(`${p}: unsupported scalar type ${kind}`);
}

const toNumber = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN);
const durationNanos = (s: string) => {
  const [, neg, sec, frac = ''] = DURATION.exec(s)!;
  const n = BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  return neg ? -n : n;
};

/**
 * Applies the PGV rules that protobufjs exposes in a field's parsed options, flattened to keys such as
 * `uint32.lte`. Checked: message/any/duration `required`, numeric `gt|gte|lt|lte|const`,
 * string `min_len|max_len|min_bytes|max_bytes`, repeated `min_items|max_items`, map `min_pairs|max_pairs`,
 * duration `gt|gte|lt|lte`. Other rules (pattern, in/not_in, well_known_regex, items/keys/values...) are not.
 * As in PGV, an absent plain scalar outside any oneof is checked as its default ("" or 0).
 */
function checkRules(field: Field, value: unknown, p: string, out: string[]): void {
  // parsedOptions keep empty messages such as `duration = {gt {}}`, which the flattened `options` drop.
  const rules: Record<string, unknown> = {};
  const flatten = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      if (isObject(v) && Object.keys(v).length > 0) flatten(v, `${prefix}${k}.`);
      else rules[`${prefix}${k}`] = v;
    }
  };
  for (const opt of field.parsedOptions ?? []) if (isObject(opt['(validate.rules)'])) flatten(opt['(validate.rules)'], '');
  if (Object.keys(rules).length === 0) return;
  const isWrapper = field.resolvedType instanceof Type;
  if (absent(value)) {
    if (field.partOf) return; // rules on oneof members apply only to the member that is set
    if (rules['message.required'] || rules['any.required'] || rules['duration.required'] || rules['timestamp.required']) return void out.push(`${p}: is required`);
    if (field instanceof MapField || field.repeated) value = field instanceof MapField ? {} : [];
    else if (isWrapper || field.resolvedType instanceof Enum) return;
    else value = field.type === 'string' || field.type === 'bytes' ? '' : field.type === 'bool' ? false : 0;
  }
  const fail = (rule: string, limit: unknown, got: unknown) => out.push(`${p}: violates (validate.rules).${rule} = ${JSON.stringify(limit)}, got ${JSON.stringify(got)}`);
  const duration = new Map<string, bigint>();
  for (const [rule, limit] of Object.entries(rules)) {
    const [kind, op, sub] = rule.split('.');
    if (rules[`${kind}.ignore_empty`] && (value === '' || value === 0 || (Array.isArray(value) && value.length === 0))) continue;
    if (kind === 'duration' && /^(gt|gte|lt|lte)$/.test(op) && typeof value === 'string' && DURATION.test(value)) {
      const nanos = sub === 'seconds' ? BigInt(limit as number) * 1_000_000_000n : sub === 'nanos' ? BigInt(limit as number) : 0n;
      duration.set(op, (duration.get(op) ?? 0n) + nanos);
    } else if (INT_RANGES[kind] || kind === 'double' || kind === 'float') {
      const n = toNumber(value), l = limit as number;
      if (isNaN(n)) continue;
      if ((op === 'gt' && !(n > l)) || (op === 'gte' && !(n >= l)) || (op === 'lt' && !(n < l)) || (op === 'lte' && !(n <= l)) || (op === 'const' && n !== l)) fail(rule, limit, value);
    } else if (kind === 'string' && typeof value === 'string') {
      const len = op.endsWith('bytes') ? Buffer.byteLength(value) : [...value].length;
      if ((op.startsWith('min') && len < (limit as number)) || (op.startsWith('max') && len > (limit as number))) fail(rule, limit, value);
    } else if ((kind === 'repeated' || kind === 'map') && (Array.isArray(value) || isObject(value))) {
      const n = Array.isArray(value) ? value.length : Object.keys(value).length;
      if ((op.startsWith('min') && n < (limit as number)) || (op.startsWith('max') && n > (limit as number))) fail(rule, limit, `${n} entries`);
    }
  }
  for (const [op, limit] of duration) {
    const n = durationNanos(value as string);
    if ((op === 'gt' && !(n > limit)) || (op === 'gte' && !(n >= limit)) || (op === 'lt' && !(n < limit)) || (op === 'lte' && !(n <= limit))) fail(`duration.${op}`, `${Number(limit) / 1e9}s`, value);
  }
}
