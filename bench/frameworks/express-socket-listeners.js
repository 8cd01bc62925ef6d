// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express: a middleware that logs a request cut short by the client. VARIANT=leak listens for
// 'close' on the request's socket, which a keep-alive connection reuses for request after
// request, so every request leaves one listener (and the request its closure holds) on the
// socket for as long as the connection lives (Node prints MaxListenersExceededWarning once).
// The clean one listens on the response, which lives for one request.
const express = require('express');
const leak = process.env.VARIANT === 'leak';
const app = express();
app.use(express.json());
let aborted = 0;
app.use((req, res, next) => {
  const started = Date.now();
  const target = leak ? req.socket : res;
  target.on('close', () => {
    if (!res.writableFinished) aborted += Date.now() - started > 0 ? 1 : 0;
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
  res.json({ ok: true, aborted });
});
app.get('/api/users/:id', (req, res) => {
  res.json(users[Number(req.params.id) % users.length] ?? { id: req.params.id });
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
app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
