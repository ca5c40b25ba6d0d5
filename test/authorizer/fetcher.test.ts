import * as fs from 'fs';
import * as https from 'https';
import * as path from 'path';
import { AddressInfo } from 'net';
import { FetchError, NonRetryableFetchError } from 'aws-jwt-verify/error';
import { HttpsFetcher, MAX_RESPONSE_BYTES } from '../../lambda/jwt-authorizer/fetcher';
import { TLS_CERT } from './fixtures/idp';

const TLS_KEY = fs.readFileSync(path.join(__dirname, 'fixtures', 'tls-key.pem'));

describe("the authorizer's HTTPS fetcher", () => {
  let server: https.Server;
  let base: string;
  const hits: { [path: string]: number } = {};
  const connections = new Set<string>();

  beforeAll(async () => {
    server = https.createServer({ cert: TLS_CERT, key: TLS_KEY }, (req, res) => {
      hits[req.url!] = (hits[req.url!] ?? 0) + 1;
      connections.add(`${req.socket.remotePort}`);
      if (req.url === '/ok') res.end('{"keys":[]}');
      else if (req.url === '/big') res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 32));
      else if (req.url === '/missing') { res.statusCode = 404; res.end(); }
      else if (req.url === '/slow') setTimeout(() => res.end('{}'), 1000).unref();
      else if (req.url === '/reset' && hits[req.url] === 1) req.socket.destroy();
      else res.end('{"second":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

  test('returns the body, and reuses one kept-alive connection for the next request', async () => {
    const fetcher = new HttpsFetcher({ ca: TLS_CERT });
    const body = await fetcher.fetch(`${base}/ok`);
    expect(Buffer.from(body).toString()).toBe('{"keys":[]}');
    const before = connections.size;
    await fetcher.fetch(`${base}/ok`);
    expect(connections.size).toBe(before);
  });

  test('refuses a body over the cap and a non-200 status, without retrying', async () => {
    const fetcher = new HttpsFetcher({ ca: TLS_CERT });
    await expect(fetcher.fetch(`${base}/big`)).rejects.toThrow(NonRetryableFetchError);
    await expect(fetcher.fetch(`${base}/missing`)).rejects.toThrow(/Status code is 404, expected 200/);
    expect(hits['/missing']).toBe(1);
  });

  test('gives up after its timeout, once retried', async () => {
    const fetcher = new HttpsFetcher({ ca: TLS_CERT, timeoutMs: 100 });
    await expect(fetcher.fetch(`${base}/slow`)).rejects.toThrow(FetchError);
    await expect(fetcher.fetch(`${base}/slow`)).rejects.toThrow(/No response within 100 ms/);
  });

  test('retries a dropped connection once, immediately', async () => {
    const fetcher = new HttpsFetcher({ ca: TLS_CERT });
    const body = await fetcher.fetch(`${base}/reset`);
    expect(Buffer.from(body).toString()).toBe('{"second":true}');
    expect(hits['/reset']).toBe(2);
  });

  test('refuses a certificate it does not trust', async () => {
    await expect(new HttpsFetcher().fetch(`${base}/ok`)).rejects.toThrow(FetchError);
  });
});
