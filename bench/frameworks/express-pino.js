// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + pino: a request logger. VARIANT=leak builds a logger with its own destination for
// every request (pino.destination opens the file each time, and nothing ever closes it), so
// every request leaves an open file descriptor behind; the heap barely moves. The clean one
// builds one logger at start-up and a child logger per request, the way pino's documentation
// shows. Logs go to /dev/null.
const express = require('express');
const pino = require('pino');
const leak = process.env.VARIANT === 'leak';
const root = pino(pino.destination({ dest: '/dev/null', sync: true }));
let nextId = 0;
const app = express();
app.use(express.json());
app.use((req, res, next) => {
  const reqId = ++nextId;
  req.log = leak
    ? pino(pino.destination({ dest: '/dev/null', sync: true })).child({ reqId })
    : root.child({ reqId });
  res.on('finish', () => req.log.info({ status: res.statusCode, path: req.path }, 'done'));
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
