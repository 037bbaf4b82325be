/**
 * Small runtime checks for data that crossed a trust boundary (the webview is a web page: its messages are data, not
 * trust). Each check returns the value typed, or throws a ProtocolViolation naming the offending field. Objects are
 * strict: unknown keys are refused, so a message can never carry more than its declared, bounded fields.
 */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

export type Check<T> = (value: unknown, field: string) => T;

function fail(field: string, expected: string): never {
  throw new ProtocolViolation(`${field}: expected ${expected}`);
}

export function str(options: { max: number; min?: number; pattern?: RegExp }): Check<string> {
  return (value, field) => {
    if (typeof value !== 'string') fail(field, 'a string');
    if (value.length > options.max) fail(field, `at most ${options.max} characters`);
    if (value.length < (options.min ?? 0)) fail(field, `at least ${options.min ?? 0} characters`);
    if (options.pattern && !options.pattern.test(value)) fail(field, 'a well-formed value');
    return value;
  };
}

export function int(options: { min: number; max: number }): Check<number> {
  return (value, field) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(field, 'an integer');
    if (value < options.min || value > options.max) fail(field, `an integer in ${options.min}..${options.max}`);
    return value;
  };
}

export const bool: Check<boolean> = (value, field) => {
  if (typeof value !== 'boolean') fail(field, 'true or false');
  return value;
};

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  const allowed: ReadonlySet<string> = new Set(values);
  return (value, field) => {
    if (typeof value !== 'string' || !allowed.has(value)) fail(field, `one of ${values.join(', ')}`);
    return value as T;
  };
}

export function arrayOf<T>(item: Check<T>, options: { max: number }): Check<T[]> {
  return (value, field) => {
    if (!Array.isArray(value)) fail(field, 'a list');
    if (value.length > options.max) fail(field, `at most ${options.max} items`);
    return value.map((v, i) => item(v, `${field}[${i}]`));
  };
}

export function optional<T>(check: Check<T>): Check<T | undefined> & { optional: true } {
  const wrapped = ((value: unknown, field: string) => (value === undefined ? undefined : check(value, field))) as Check<T | undefined> & {
    optional: true;
  };
  wrapped.optional = true;
  return wrapped;
}

type Shape = Record<string, Check<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { optional: true } ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type Infer<S extends Shape> = { [K in RequiredKeys<S>]: ReturnType<S[K]> } & { [K in OptionalKeys<S>]?: ReturnType<S[K]> };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function object<S extends Shape>(shape: S): Check<Infer<S>> {
  const keys = Object.keys(shape);
  return (value, field) => {
    if (!isPlainObject(value)) fail(field, 'an object');
    const own = Object.keys(value);
    // Checked before looking at any value, so a hostile object with a million keys costs one comparison.
    if (own.length > keys.length) fail(field, `at most ${keys.length} fields`);
    for (const key of own) if (!Object.hasOwn(shape, key)) throw new ProtocolViolation(`${field}.${key}: unknown field`);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const checked = (shape[key] as Check<unknown>)(value[key], `${field}.${key}`);
      if (checked !== undefined) out[key] = checked;
    }
    return out as Infer<S>;
  };
}
