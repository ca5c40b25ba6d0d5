// A lean HTTPS GET for the issuer's discovery document and JWKS: a keep-alive agent (discovery
// and JWKS usually share a host, so the second request reuses the TLS session), a timeout, a body
// size cap, and one immediate retry of a retryable failure, as aws-jwt-verify's own fetcher does.
import * as https from 'https';
import { FetchError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';

/** The largest discovery document or JWKS accepted. */
export const MAX_RESPONSE_BYTES = 512 * 1024;

/** Options of {@link HttpsFetcher}. */
export interface HttpsFetcherOptions {
  /** Certificate authorities to trust instead of Node's (tests). */
  readonly ca?: string | Buffer;
  /** Time allowed for a whole request, in milliseconds. Default 2000: two attempts each for discovery and the JWKS stay under the function's 10 s timeout. */
  readonly timeoutMs?: number;
}

export class HttpsFetcher implements Fetcher {
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;

  constructor(options: HttpsFetcherOptions = {}) {
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 4, ...(options.ca ? { ca: options.ca } : {}) });
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  public async fetch(uri: string): Promise<ArrayBuffer> {
    try {
      return await this.get(uri);
    } catch (err) {
      if (err instanceof NonRetryableFetchError) throw err;
      return this.get(uri); // once, immediately: a kept-alive socket may have gone stale
    }
  }

  private get(uri: string): Promise<ArrayBuffer> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err: Error | undefined, body?: ArrayBuffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          req.destroy();
          reject(err instanceof FetchError ? err : new FetchError(uri, err.message));
        } else {
          resolve(body!);
        }
      };
      const req = https.get(uri, { agent: this.agent, headers: { accept: 'application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done(new NonRetryableFetchError(uri, `Status code is ${res.statusCode}, expected 200`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) done(new NonRetryableFetchError(uri, `Response larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          done(undefined, body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
        });
        res.on('error', (err) => done(err));
      });
      req.on('error', (err) => done(err));
      const timer = setTimeout(() => done(new FetchError(uri, `No response within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
    });
  }
}
