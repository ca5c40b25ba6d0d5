import { fmt, PropErrors } from './validation';

// A small reader for contracts read back as JSON: each check validates one value, records what is
// wrong with the path named (`mesh.egressPortBase`, `topics.OrderPlaced.topicArn`), and returns the
// value kept. An object keeps its known fields only, so a newer minor version's additions are
// ignored. The shapes are data, next to the contract types (lib/platform/contract.ts).

/** One value's check. */
export interface Check {
  /** Whether the value may be absent (or null). */
  readonly optional: boolean;
  /** Records what is wrong with `value` at `path`; returns what to keep. */
  read(value: unknown, path: string, errors: PropErrors): unknown;
}

/** The fields of an object, by name. */
export type Fields = { readonly [name: string]: Check };

const required = (read: Check['read']): Check => ({ optional: false, read });

/** The same check, the value may be absent. */
export function optional(check: Check): Check {
  return { optional: true, read: check.read };
}

/** A string, non-empty, matching `pattern` when given. */
export function text(pattern?: RegExp, describe?: string): Check {
  return required((v, path, errors) => {
    if (typeof v !== 'string' || v === '') errors.add(`${path} must be a non-empty string, got ${fmt(v)}`);
    else if (pattern && !pattern.test(v)) errors.add(`${path} must be ${describe ?? `a string matching ${pattern}`}, got ${fmt(v)}`);
    return v;
  });
}

/** An integer in [min, max]. */
export function integer(min: number, max: number): Check {
  return required((v, path, errors) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) errors.add(`${path} must be an integer between ${min} and ${max}, got ${fmt(v)}`);
    return v;
  });
}

/** A number in [min, max]. */
export function decimal(min: number, max: number): Check {
  return required((v, path, errors) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) errors.add(`${path} must be a number between ${min} and ${max}, got ${fmt(v)}`);
    return v;
  });
}

/** true or false. */
export function flag(): Check {
  return required((v, path, errors) => {
    if (typeof v !== 'boolean') errors.add(`${path} must be true or false, got ${fmt(v)}`);
    return v;
  });
}

/** One of `values`. */
export function oneOf(values: readonly string[]): Check {
  return required((v, path, errors) => {
    if (typeof v !== 'string' || !values.includes(v)) errors.add(`${path} must be one of ${values.map(fmt).join(', ')}, got ${fmt(v)}`);
    return v;
  });
}

/** A list of at least `minItems` values, each checked by `item`. */
export function list(item: Check, minItems = 0): Check {
  return required((v, path, errors) => {
    if (!Array.isArray(v)) {
      errors.add(`${path} must be a list, got ${fmt(v)}`);
      return v;
    }
    if (v.length < minItems) errors.add(`${path} must list at least ${minItems}, got ${v.length}`);
    return v.map((x, i) => item.read(x, `${path}[${i}]`, errors));
  });
}

/** An object of `fields`; other fields are dropped. */
export function record(fields: Fields): Check {
  return required((v, path, errors) => readFields(fields, v, path, errors));
}

/** An object whose keys match `key` and whose values are each checked by `item`. */
export function dictionary(key: RegExp, describeKey: string, item: Check): Check {
  return required((v, path, errors) => {
    if (!isObject(v)) {
      errors.add(`${path} must be an object, got ${fmt(v)}`);
      return v;
    }
    const out: { [k: string]: unknown } = {};
    for (const [k, x] of Object.entries(v)) {
      if (!key.test(k)) errors.add(`${path} keys must be ${describeKey}, got ${fmt(k)}`);
      out[k] = item.read(x, `${path}.${k}`, errors);
    }
    return out;
  });
}

/**
 * An object that is one of `variants`, named by its field `tag`: the tag is kept, and the fields of
 * its variant.
 */
export function variant(tag: string, variants: { readonly [name: string]: Fields }): Check {
  const names = Object.keys(variants);
  return required((v, path, errors) => {
    if (!isObject(v)) {
      errors.add(`${path} must be an object, got ${fmt(v)}`);
      return v;
    }
    const name = v[tag];
    const fields = typeof name === 'string' && Object.prototype.hasOwnProperty.call(variants, name) ? variants[name] : undefined;
    if (!fields) {
      errors.add(`${path}.${tag} must be one of ${names.map(fmt).join(', ')}, got ${fmt(name)}`);
      return v;
    }
    return { [tag]: name, ...readFields(fields, v, path, errors) as object };
  });
}

function readFields(fields: Fields, v: unknown, path: string, errors: PropErrors): unknown {
  if (!isObject(v)) {
    errors.add(`${path} must be an object, got ${fmt(v)}`);
    return v;
  }
  const out: { [k: string]: unknown } = {};
  for (const [name, check] of Object.entries(fields)) {
    const at = path ? `${path}.${name}` : name;
    const x = v[name];
    if (x === undefined || x === null) {
      if (!check.optional) errors.add(`${at} is required, got none`);
      continue;
    }
    out[name] = check.read(x, at, errors);
  }
  return out;
}

function isObject(v: unknown): v is { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
