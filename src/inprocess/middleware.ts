/**
 * Calls an express/connect-style `(req, res, next)` handler the way a server would, once per
 * call with fresh mock request and response objects, so {@link detectLeak} can measure what the
 * handler retains per request without a server, sockets or a load generator.
 */
import { EventEmitter } from 'node:events';
import { isThenable } from './thenable';

/** The mock request: an EventEmitter with the fields middleware usually reads. */
export interface MockRequest extends EventEmitter {
  /** HTTP method (default "GET"). */
  method: string;
  /** Request target, path and query (default "/"). */
  url: string;
  /** Same as `url` (express sets both). */
  originalUrl: string;
  /** Path without the query. */
  path: string;
  /** Lower-case header names (default: host, accept, and `authorization: Bearer user-<n>`). */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed query (empty unless given). */
  query: Record<string, unknown>;
  /** Route parameters (empty unless given). */
  params: Record<string, string>;
  /** Request body, when given. */
  body?: unknown;
  /** Remote address ("127.0.0.1"). */
  ip: string;
  /** Express-style header lookup, case-insensitive. */
  get(name: string): string | string[] | undefined;
  /** Same as {@link MockRequest.get}. */
  header(name: string): string | string[] | undefined;
  /** Anything else a middleware attaches (req.session, req.user...). */
  [key: string]: unknown;
}

/** The mock response: an EventEmitter that emits "finish" then "close" when ended. */
export interface MockResponse extends EventEmitter {
  /** Status code (200 until set). */
  statusCode: number;
  /** Whether `end` has been called. */
  writableEnded: boolean;
  /** Whether headers were "sent" (set on end). */
  headersSent: boolean;
  /** Headers set so far, lower-case names. */
  headersSet: Record<string, string | number | readonly string[]>;
  /** The body passed to end/send/json, if any. */
  body: unknown;
  /** Express-style locals. */
  locals: Record<string, unknown>;
  /** Sets the status; chainable. */
  status(code: number): MockResponse;
  /** Sets a header; chainable. */
  setHeader(name: string, value: string | number | readonly string[]): MockResponse;
  /** Express's alias of setHeader; chainable. */
  set(name: string, value: string | number | readonly string[]): MockResponse;
  /** Reads a header set earlier. */
  getHeader(name: string): string | number | readonly string[] | undefined;
  /** Removes a header. */
  removeHeader(name: string): void;
  /** Accepted and ignored (the body is kept only from end/send/json). */
  write(chunk: unknown): boolean;
  /** Ends the response: emits "finish" and "close"; later calls are ignored. */
  end(body?: unknown): MockResponse;
  /** Ends with a body. */
  send(body?: unknown): MockResponse;
  /** Ends with a JSON body. */
  json(body: unknown): MockResponse;
  /** Status and end. */
  sendStatus(code: number): MockResponse;
  /** Anything else a middleware attaches. */
  [key: string]: unknown;
}

/** What a request may override; the call number is passed so each call can differ. */
export interface MockRequestInit {
  /** HTTP method. */
  method?: string;
  /** Request target (path and query). */
  url?: string;
  /** Headers; replace the defaults entirely when given (use lower-case names). */
  headers?: Record<string, string | string[] | undefined>;
  /** Parsed query. */
  query?: Record<string, unknown>;
  /** Route parameters. */
  params?: Record<string, string>;
  /** Parsed body. */
  body?: unknown;
}

/** The next function handed to the middleware. */
export type NextFunction = (error?: unknown) => void;

/**
 * A middleware: `(req, res, next)`. Generic in the request and response types so a handler typed
 * for express (`Request`, `Response`) is accepted; it receives the mocks above.
 */
export type Middleware<Req, Res> = (req: Req, res: Res, next: NextFunction) => unknown;

/** How {@link middlewareCall} behaves. */
export interface MiddlewareCallOptions {
  /**
   * After `next()` the rest of the chain would answer: end the response (emitting "finish" and
   * "close") so clean-up listeners the middleware registered run, as in a server. Default true.
   */
  endOnNext?: boolean;
  /**
   * Fail the call when neither `next()` nor `res.end()` happened within this many milliseconds
   * (default 5,000): a middleware that never answers would otherwise hang the test.
   */
  timeoutMs?: number;
}

/**
 * A function that, each time it is called, builds a fresh mock request and response, calls
 * `handler(req, res, next)` and resolves when `next()` is called or the response ends. Pass it to
 * {@link detectLeak} or `expect(...).not.toLeak()`.
 *
 * By default call n sends `authorization: Bearer user-<n>`, so per-user state differs per call as
 * it would under real traffic. `next(error)`, a throw, a rejected promise or the timeout reject;
 * `next('route')` and `next('router')` count as success (express's conventions).
 *
 * @param handler - the middleware under test
 * @param makeRequest - builds the request for call n (optional; default GET / with the headers above)
 * @param options - ending the response after next(), per-call timeout
 * @returns `(call) => Promise<MockResponse>`
 */
export function middlewareCall<Req = MockRequest, Res = MockResponse>(
  handler: Middleware<Req, Res>,
  makeRequest?: (call: number) => MockRequestInit,
  options: MiddlewareCallOptions = {},
): (call: number) => Promise<MockResponse> {
  const endOnNext = options.endOnNext ?? true;
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`middlewareCall: timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  return (call: number) =>
    new Promise<MockResponse>((resolve, reject) => {
      const req = mockRequest(call, makeRequest ? makeRequest(call) : {});
      const res = mockResponse();
      let settled = false;
      const timer = setTimeout(() => {
        settle(
          new Error(
            `middleware call ${call} neither called next() nor ended the response within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      // The timer must not keep a test process alive on its own.
      timer.unref();
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        res.removeListener('finish', onFinish);
        if (error !== undefined) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(res);
      };
      const onFinish = (): void => settle();
      res.once('finish', onFinish);
      const next: NextFunction = (error?: unknown) => {
        if (error !== undefined && error !== null && error !== 'route' && error !== 'router') {
          settle(error);
          return;
        }
        if (endOnNext && !res.writableEnded) res.end();
        settle();
      };
      try {
        const returned = handler(req as unknown as Req, res as unknown as Res, next);
        if (isThenable(returned))
          returned.then(undefined, (error: unknown) => settle(error ?? new Error('rejected')));
      } catch (error) {
        settle(error ?? new Error('thrown'));
      }
    });
}

function mockRequest(call: number, init: MockRequestInit): MockRequest {
  const url = init.url ?? '/';
  const headers = init.headers ?? {
    host: '127.0.0.1',
    accept: 'application/json',
    authorization: `Bearer user-${call}`,
  };
  const lookup = (name: string): string | string[] | undefined => headers[name.toLowerCase()];
  const req = Object.assign(new EventEmitter(), {
    method: init.method ?? 'GET',
    url,
    originalUrl: url,
    path: url.split('?')[0] ?? url,
    headers,
    query: init.query ?? {},
    params: init.params ?? {},
    body: init.body,
    ip: '127.0.0.1',
    get: lookup,
    header: lookup,
  });
  return req as MockRequest;
}

function mockResponse(): MockResponse {
  const res = Object.assign(new EventEmitter(), {
    statusCode: 200,
    writableEnded: false,
    headersSent: false,
    headersSet: {} as Record<string, string | number | readonly string[]>,
    body: undefined as unknown,
    locals: {} as Record<string, unknown>,
  }) as MockResponse;
  res.status = (code) => {
    res.statusCode = code;
    return res;
  };
  res.setHeader = (name, value) => {
    res.headersSet[name.toLowerCase()] = value;
    return res;
  };
  res.set = res.setHeader;
  res.getHeader = (name) => res.headersSet[name.toLowerCase()];
  res.removeHeader = (name) => {
    delete res.headersSet[name.toLowerCase()];
  };
  res.write = () => true;
  res.end = (body) => {
    if (res.writableEnded) return res;
    if (body !== undefined) res.body = body;
    res.writableEnded = true;
    res.headersSent = true;
    res.emit('finish');
    res.emit('close');
    return res;
  };
  res.send = (body) => res.end(body);
  res.json = (body) => {
    res.setHeader('content-type', 'application/json');
    return res.end(body);
  };
  res.sendStatus = (code) => res.status(code).end();
  return res;
}
