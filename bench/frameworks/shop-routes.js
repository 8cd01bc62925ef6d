// The routes the express trial services share: the endpoints of fixtures/traffic/combined.log's
// shop (users, profiles, items, search, orders, health), then a 404 for anything else. A trial
// replaces a route with its own handler (the one its leak lives in) or adds routes, through
// `custom`, keyed "METHOD /path"; its handlers see the same data through `users` and `items`.
const users = Array.from({ length: 500 }, (_, i) => ({
  id: i,
  name: `user-${i}`,
  plan: i % 3 ? 'free' : 'pro',
}));
const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 3 }));

const routes = {
  'GET /health': (req, res) => {
    res.send('ok');
  },
  'GET /api/users/:id': (req, res) => {
    res.json(users[Number(req.params.id) % users.length] ?? { id: req.params.id });
  },
  'GET /api/users/:id/profile': (req, res) => {
    res.json({ id: req.params.id, bio: 'hello', links: ['a', 'b'] });
  },
  'GET /api/items': (req, res) => {
    const page = Math.max(1, Number(req.query.page) || 1);
    res.json(items.slice((page - 1) * 20, page * 20));
  },
  'GET /api/items/:id': (req, res) => {
    res.json(items[Number(req.params.id) % items.length] ?? null);
  },
  'GET /api/search': (req, res) => {
    const q = String(req.query.q ?? '');
    res.json(items.filter((i) => i.name.includes(q.slice(0, 3))).slice(0, 10));
  },
  'GET /api/orders': (req, res) => {
    res.json([]);
  },
  'POST /api/orders': (req, res) => {
    res.status(201).json({ ok: true, lines: Array.isArray(req.body?.lines) ? req.body.lines.length : 0 });
  },
};

/**
 * Mounts the shop's routes on an express app, in order, then a 404 for anything else.
 *
 * @param {import('express').Express} app - the trial's app
 * @param {Record<string, import('express').RequestHandler>} [custom] - "METHOD /path" handlers
 *   replacing a shared route or added after them
 */
function mountShop(app, custom = {}) {
  for (const [key, handler] of Object.entries({ ...routes, ...custom })) {
    const [method, path] = key.split(' ');
    app[method.toLowerCase()](path, custom[key] ?? handler);
  }
  app.use((req, res) => {
    res.status(404).json({ error: 'not found' });
  });
}

module.exports = { mountShop, users, items };
