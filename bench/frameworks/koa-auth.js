// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// Koa service: auth middleware keeps per-request state in a module-level Map keyed by request id.
// VARIANT=leak forgets to delete the entry; clean deletes it when the response finishes.
const Koa = require('koa');
const Router = require('@koa/router');
const leak = process.env.VARIANT === 'leak';
const app = new Koa();
const router = new Router();
const inflight = new Map();
let seq = 0;
app.use(async (ctx, next) => {
  const id = ++seq;
  const auth = ctx.get('authorization') || 'anonymous';
  inflight.set(id, { user: auth.slice(7), started: Date.now() });
  try {
    await next();
  } finally {
    if (!leak) inflight.delete(id);
  }
});
const items = Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item-${i}`, price: i * 3 }));
router.get('/', (ctx) => {
  ctx.body = { ok: true };
});
router.get('/health', (ctx) => {
  ctx.body = 'ok';
});
router.get('/api/products', (ctx) => {
  ctx.body = items.slice(0, 20);
});
router.get('/api/products/:id', (ctx) => {
  ctx.body = items[Number(ctx.params.id) % 200] || { missing: true };
});
router.get('/api/users/:id/profile', (ctx) => {
  ctx.body = { id: ctx.params.id, name: `user ${ctx.params.id}` };
});
router.get('/search', (ctx) => {
  ctx.body = items.filter((x) => x.name.includes(String(ctx.query.q || ''))).slice(0, 5);
});
router.post('/api/orders', (ctx) => {
  ctx.status = 201;
  ctx.body = { created: seq };
});
app.use(router.routes());
app.use((ctx) => {
  if (ctx.status === 404) ctx.body = { error: 'not found' };
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
