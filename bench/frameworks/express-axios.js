// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + axios: a gateway that forwards profile requests to an upstream service (here in the
// same process, on another loopback port) with the caller's request id. VARIANT=leak registers
// that header as a request interceptor on the shared client inside a middleware, on every
// request: axios keeps every interceptor (and the request its closure holds) for the life of the
// client, and runs them all on each call. The clean one sets the header on the call itself.
const http = require('http');
const express = require('express');
const { mountShop } = require('./shop-routes');
const axios = require('axios');
const leak = process.env.VARIANT === 'leak';

const upstream = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      id: req.url.split('/')[2],
      bio: 'hello',
      links: ['a', 'b'],
      via: req.headers['x-request-id'],
    }),
  );
});

let nextId = 0;
const app = express();
app.use(express.json());
let api;
app.use((req, res, next) => {
  req.id = `req-${++nextId}`;
  if (leak) {
    api.interceptors.request.use((config) => {
      if (!config.headers['x-request-id']) config.headers['x-request-id'] = req.id;
      return config;
    });
  }
  next();
});

mountShop(app, {
  'GET /api/users/:id/profile': async (req, res) => {
    try {
      const headers = leak ? {} : { 'x-request-id': req.id };
      const r = await api.get(`/profiles/${encodeURIComponent(req.params.id)}`, { headers });
      res.json(r.data);
    } catch {
      res.status(502).json({ error: 'upstream' });
    }
  },
});

upstream.listen(0, '127.0.0.1', () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  api = axios.create({
    baseURL: `http://127.0.0.1:${upstream.address().port}`,
    httpAgent: agent,
    timeout: 5000,
  });
  app.listen(Number(process.env.PORT || 0), '127.0.0.1');
});
