// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + generic-pool: a pool of 10 "database connections" (as pg, mysql2 or a client library
// give one), 2 s to get one, else 503. VARIANT=leak forgets to release the connection on the
// not-found path (an early return), the classic pool leak; the clean one releases it on every
// path. The heap stays flat either way (the pool never holds more than 10): what leaks is the
// pool, and the service answers 503 once it is dry.
const express = require('express');
const genericPool = require('generic-pool');
const leak = process.env.VARIANT === 'leak';
let made = 0;
const pool = genericPool.createPool(
  { create: async () => ({ id: ++made, buffer: Buffer.alloc(4096) }), destroy: async () => {} },
  { max: 10, min: 2, acquireTimeoutMillis: 2000 },
);
const users = new Map(Array.from({ length: 400 }, (_, i) => [String(i), { id: i, name: `user-${i}` }]));
const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 3 }));
const app = express();
app.use(express.json());
app.get('/health', (req, res) => {
  res.send('ok');
});
app.get('/api/users/:id', async (req, res) => {
  let conn;
  try {
    conn = await pool.acquire();
  } catch {
    return res.status(503).json({ error: 'no database connection' });
  }
  // A query's round trip.
  await new Promise((resolve) => setImmediate(resolve));
  const user = users.get(req.params.id);
  if (!user) {
    if (!leak) pool.release(conn);
    return res.status(404).json({ error: 'not found' });
  }
  pool.release(conn);
  res.json(user);
});
app.get('/api/items', (req, res) => {
  const page = Math.max(1, Number(req.query.page) || 1);
  res.json(items.slice((page - 1) * 20, page * 20));
});
app.get('/api/items/:id', (req, res) => {
  res.json(items[Number(req.params.id) % items.length] ?? null);
});
app.post('/api/orders', (req, res) => {
  res.status(201).json({ ok: true });
});
app.use((req, res) => {
  res.status(404).json({ error: 'not found' });
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
