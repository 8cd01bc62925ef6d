import { middlewareCall, type MockRequest, type MockResponse, type NextFunction } from '../../src/inprocess';

describe('middlewareCall', () => {
  it('builds fresh request and response objects per call with a distinct bearer token', async () => {
    const seen: MockRequest[] = [];
    const responses: MockResponse[] = [];
    const call = middlewareCall((req: MockRequest, res: MockResponse, next: NextFunction) => {
      seen.push(req);
      responses.push(res);
      next();
    });
    for (let n = 0; n < 3; n++) await call(n);
    expect(seen.map((r) => r.headers.authorization)).toEqual([
      'Bearer user-0',
      'Bearer user-1',
      'Bearer user-2',
    ]);
    expect(new Set(seen).size).toBe(3);
    expect(new Set(responses).size).toBe(3);
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/', path: '/', ip: '127.0.0.1' });
    expect(seen[0]?.get('Authorization')).toBe('Bearer user-0');
  });

  it('uses makeRequest for the request, given the call number', async () => {
    let got: MockRequest | undefined;
    const call = middlewareCall(
      (req: MockRequest, _res: unknown, next: NextFunction) => {
        got = req;
        next();
      },
      (n) => ({ method: 'POST', url: `/orders?page=${n}`, headers: { cookie: `sid=${n}` }, body: { n } }),
    );
    await call(7);
    expect(got).toMatchObject({ method: 'POST', url: '/orders?page=7', path: '/orders', body: { n: 7 } });
    expect(got?.headers).toEqual({ cookie: 'sid=7' });
  });

  it('ends the response after next() so finish listeners run, and resolves with the response', async () => {
    const events: string[] = [];
    const call = middlewareCall((_req: MockRequest, res: MockResponse, next: NextFunction) => {
      res.once('finish', () => events.push('finish'));
      res.once('close', () => events.push('close'));
      next();
    });
    const res = await call(0);
    expect(events).toEqual(['finish', 'close']);
    expect(res.writableEnded).toBe(true);
  });

  it('leaves the response open after next() with endOnNext: false', async () => {
    const call = middlewareCall(
      (_req: MockRequest, _res: MockResponse, next: NextFunction) => next(),
      undefined,
      {
        endOnNext: false,
      },
    );
    expect((await call(0)).writableEnded).toBe(false);
  });

  it('resolves when the middleware answers without calling next', async () => {
    const call = middlewareCall((_req: MockRequest, res: MockResponse) => {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').json({ error: 'no' });
    });
    const res = await call(0);
    expect(res).toMatchObject({ statusCode: 401, body: { error: 'no' }, writableEnded: true });
    expect(res.getHeader('www-authenticate')).toBe('Bearer');
    expect(res.getHeader('content-type')).toBe('application/json');
  });

  it('resolves after an async middleware calls next later', async () => {
    let order = '';
    const call = middlewareCall(async (_req: MockRequest, _res: MockResponse, next: NextFunction) => {
      await Promise.resolve();
      order += 'a';
      next();
    });
    await call(0);
    expect(order).toBe('a');
  });

  it("treats next('route') and next('router') as success", async () => {
    await expect(
      middlewareCall((_q: unknown, _s: unknown, next: NextFunction) => next('route'))(0),
    ).resolves.toBeDefined();
    await expect(
      middlewareCall((_q: unknown, _s: unknown, next: NextFunction) => next('router'))(0),
    ).resolves.toBeDefined();
  });

  it('rejects on next(error), a throw and a rejected promise', async () => {
    const boom = new Error('boom');
    await expect(
      middlewareCall((_q: unknown, _s: unknown, next: NextFunction) => next(boom))(0),
    ).rejects.toBe(boom);
    await expect(
      middlewareCall(() => {
        throw boom;
      })(0),
    ).rejects.toBe(boom);
    await expect(middlewareCall(() => Promise.reject(boom))(0)).rejects.toBe(boom);
    await expect(
      middlewareCall((_q: unknown, _s: unknown, next: NextFunction) => next('bad'))(0),
    ).rejects.toThrow('bad');
  });

  it('settles once: a later next(error) after the response ended is ignored', async () => {
    const call = middlewareCall((_q: unknown, res: MockResponse, next: NextFunction) => {
      res.end();
      next(new Error('late'));
    });
    await expect(call(0)).resolves.toBeDefined();
  });

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('rejects a middleware that neither calls next nor ends the response, after timeoutMs', async () => {
      const call = middlewareCall(() => undefined, undefined, { timeoutMs: 250 });
      const pending = call(3);
      jest.advanceTimersByTime(250);
      await expect(pending).rejects.toThrow(
        'middleware call 3 neither called next() nor ended the response within 250 ms',
      );
    });

    it('clears its timer when the call settles', async () => {
      const call = middlewareCall((_q: unknown, _s: unknown, next: NextFunction) => next());
      await call(0);
      expect(jest.getTimerCount()).toBe(0);
    });
  });

  it('refuses a non-positive timeout', () => {
    expect(() => middlewareCall(() => undefined, undefined, { timeoutMs: 0 })).toThrow(RangeError);
  });
});
