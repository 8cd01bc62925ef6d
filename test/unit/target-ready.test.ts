/** Which HTTP server of the target the load goes to (src/target/ready.ts). */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OutgoingRequest } from '../../src/traffic/scenario';
import {
  AmbiguousTargetError,
  answersAsExpected,
  chooseServer,
  distinctServers,
  LONE_PROBES,
  probeServer,
  type ServerProbe,
} from '../../src/target/ready';

const server = (port: number, served: number, probed = 16): ServerProbe => ({
  url: `http://127.0.0.1:${port}`,
  served,
  probed,
});

describe('answersAsExpected', () => {
  test('without a recorded status, anything but not-found, method-not-allowed, not-implemented or a failure', () => {
    expect(answersAsExpected(200)).toBe(true);
    expect(answersAsExpected(401)).toBe(true);
    expect(answersAsExpected(500)).toBe(true);
    expect(answersAsExpected(404)).toBe(false);
    expect(answersAsExpected(405)).toBe(false);
    expect(answersAsExpected(501)).toBe(false);
    expect(answersAsExpected(0)).toBe(false);
  });
  test("with the log's status, the same class: below 400, 4xx or 5xx", () => {
    expect(answersAsExpected(200, 304)).toBe(true);
    expect(answersAsExpected(404, 404)).toBe(true);
    expect(answersAsExpected(200, 404)).toBe(false);
    expect(answersAsExpected(404, 200)).toBe(false);
    expect(answersAsExpected(503, 500)).toBe(true);
    expect(answersAsExpected(0, 200)).toBe(false);
  });
});

describe('chooseServer', () => {
  test('one server is it, with no reason to give', () => {
    expect(chooseServer([server(1000, 0)])).toEqual({
      url: 'http://127.0.0.1:1000',
      servers: [server(1000, 0)],
    });
  });
  test('the only server that answers the traffic, wherever it is in the listen order', () => {
    expect(chooseServer([server(1000, 0), server(2000, 16)]).url).toBe('http://127.0.0.1:2000');
    expect(chooseServer([server(2000, 15), server(1000, 1)]).url).toBe('http://127.0.0.1:2000');
    expect(chooseServer([server(1000, 0), server(2000, 16)]).reason).toMatch(/only one/);
  });
  test('none answers as expected: the one that answers the most', () => {
    const r = chooseServer([server(1000, 1), server(2000, 5)]);
    expect(r.url).toBe('http://127.0.0.1:2000');
    expect(r.reason).toMatch(/the most/);
  });
  test("several answer: the one on the target's PORT", () => {
    const r = chooseServer([server(1000, 16), server(2000, 13)], 2000);
    expect(r.url).toBe('http://127.0.0.1:2000');
    expect(r.reason).toMatch(/PORT \(2000\)/);
  });
  test('several answer and PORT names none of them: refused, exit 2, naming each and --url', () => {
    const pick = (): unknown => chooseServer([server(1000, 16), server(2000, 13), server(3000, 0)], 4000);
    expect(pick).toThrow(AmbiguousTargetError);
    expect(pick).toThrow(
      /3 HTTP servers, and 2 answer .*127\.0\.0\.1:1000 16 of 16, http:\/\/127\.0\.0\.1:2000 13 of 16.*--url/,
    );
    try {
      pick();
    } catch (e) {
      expect((e as AmbiguousTargetError).exitCode).toBe(2);
    }
  });
  test('no GET request in the traffic to tell them apart: refused unless PORT names one', () => {
    expect(() => chooseServer([server(1000, 0, 0), server(2000, 0, 0)])).toThrow(/no GET request/);
    expect(chooseServer([server(1000, 0, 0), server(2000, 0, 0)], 1000).url).toBe('http://127.0.0.1:1000');
  });
});

describe('distinctServers', () => {
  const v4 = (port: number, address = '127.0.0.1') => ({ address, family: 'IPv4', port });
  const v6 = (port: number, address = '::1') => ({ address, family: 'IPv6', port });
  test('one port is one server: a dual-stack binding (fastify on localhost) and cluster workers', () => {
    expect(distinctServers([v6(3000), v4(3000)])).toEqual(['http://127.0.0.1:3000']);
    expect(distinctServers([v4(3000), v4(3000), v4(3000)])).toEqual(['http://127.0.0.1:3000']);
    expect(distinctServers([v4(3000, '0.0.0.0'), v6(3000, '::')])).toEqual(['http://127.0.0.1:3000']);
  });
  test('different ports are different servers, in the order they listened; unix sockets are not', () => {
    expect(distinctServers([v4(9464), '/tmp/app.sock', v6(3000), null])).toEqual([
      'http://127.0.0.1:9464',
      'http://[::1]:3000',
    ]);
  });
});

describe('probeServer', () => {
  // A service whose routes differ from the replayed log's: /missing is not one of them.
  const app = http.createServer((req, res) => {
    res.statusCode = req.url === '/missing' ? 404 : 200;
    res.end();
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => app.close(() => resolve()));
  });
  const get = (path: string): OutgoingRequest => ({
    endpoint: `GET ${path}`,
    method: 'GET',
    path,
    headers: {},
  });
  const deadline = (): number => Date.now() + 10_000;

  test('a lone server gets another request only while none was answered as expected', async () => {
    const probes = [get('/missing'), get('/items/1'), get('/items/2')];
    expect(await probeServer(url, probes, deadline(), true)).toEqual({ url, served: 1, probed: 2 });
    expect(await probeServer(url, [get('/items/1'), ...probes], deadline(), true)).toEqual({
      url,
      served: 1,
      probed: 1,
    });
    const missing = Array.from({ length: LONE_PROBES }, () => get('/missing'));
    expect(await probeServer(url, missing, deadline(), true)).toEqual({
      url,
      served: 0,
      probed: LONE_PROBES,
    });
  });

  test('with several servers, each gets every probe request', async () => {
    const probes = [get('/missing'), get('/items/1'), get('/items/2')];
    expect(await probeServer(url, probes, deadline())).toEqual({ url, served: 2, probed: 3 });
  });
});
