// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + prom-client: a request-duration histogram, the way most services instrument
// themselves. VARIANT=leak labels each observation with the request's path, so every user id,
// item id and query a log holds becomes a new time series (the label-cardinality leak
// prom-client's documentation warns of; each series keeps its own buckets for the life of the
// process). The clean one labels with the matched route's template, a handful of series.
const express = require('express');
const { mountShop } = require('./shop-routes');
const client = require('prom-client');
const leak = process.env.VARIANT === 'leak';
const app = express();
app.use(express.json());
const register = new client.Registry();
const duration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'Request duration by method, route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  registers: [register],
});
app.use((req, res, next) => {
  const end = duration.startTimer();
  res.on('finish', () => {
    const route = leak ? req.path : req.route ? req.baseUrl + req.route.path : 'unmatched';
    end({ method: req.method, route, status: res.statusCode });
  });
  next();
});
mountShop(app, {
  'GET /metrics': async (req, res) => {
    res.type(register.contentType).send(await register.metrics());
  },
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
