/** A failure the handler explains to CloudFormation as is: the message is the whole reason. */
export class MirrorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorError';
  }
}

/** The `name` of an error thrown by the AWS SDK (its exception class name, `ImageNotFoundException`). */
export function errorName(err: unknown): string | undefined {
  return err && typeof err === 'object' && 'name' in err && typeof (err as { name: unknown }).name === 'string'
    ? (err as { name: string }).name
    : undefined;
}

/** `name: message` of any thrown value, for a reason or a log line. */
export function describeError(err: unknown): string {
  if (err instanceof MirrorError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
