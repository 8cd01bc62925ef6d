// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + prom-client: a request-duration histogram, the way most services instrument
// themselves. VARIANT=leak labels each observation with the request's path, so every user id,
// item id and query a log holds becomes a new time series (the label-cardinality leak
// prom-client's documentation warns of; each series keeps its own buckets for the life of the
// process). The clean one labels with the matched route's template, a handful of series.
const express = require('express');
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
const users = Array.from({ length: 500 }, (_, i) => ({
  id: i,
  name: `user-${i}`,
  plan: i % 3 ? 'free' : 'pro',
}));
const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 3 }));
app.get('/health', (req, res) => {
  res.send('ok');
});
app.get('/api/users/:id', (req, res) => {
  const user = users[Number(req.params.id) % users.length];
  res.json(user ?? { id: req.params.id });
});
app.get('/api/users/:id/profile', (req, res) => {
  res.json({ id: req.params.id, bio: 'hello', links: ['a', 'b'] });
});
app.get('/api/items', (req, res) => {
  const page = Math.max(1, Number(req.query.page) || 1);
  res.json(items.slice((page - 1) * 20, page * 20));
});
app.get('/api/items/:id', (req, res) => {
  res.json(items[Number(req.params.id) % items.length] ?? null);
});
app.get('/api/search', (req, res) => {
  const q = String(req.query.q ?? '');
  res.json(items.filter((i) => i.name.includes(q.slice(0, 3))).slice(0, 10));
});
app.get('/api/orders', (req, res) => {
  res.json([]);
});
app.post('/api/orders', (req, res) => {
  res.status(201).json({ ok: true, lines: Array.isArray(req.body?.lines) ? req.body.lines.length : 0 });
});
app.get('/metrics', async (req, res) => {
  res.type(register.contentType).send(await register.metrics());
});
app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
