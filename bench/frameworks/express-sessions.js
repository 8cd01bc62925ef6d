// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + express-session: a hit counter per session. Clients that send no cookie (a replayed
// log's) get a new session on every request. VARIANT=leak keeps express-session's default
// MemoryStore, which its own documentation says "will leak memory under most conditions": a
// session without an expiry is kept forever. The clean one uses memorystore (an LRU-backed store
// that prunes expired sessions every 1.5 s) with a 1.5 s cookie: a sawtooth that must pass
// (its first drop comes at expiry + period, 3 s, within the 6 s minimum window; with a 4 s cookie
// pruned every 4 s the first drop comes at 8 s and the first look calls a leak).
const express = require('express');
const session = require('express-session');
const leak = process.env.VARIANT === 'leak';
const app = express();
app.use(express.json());
let store;
if (!leak) {
  const MemoryStore = require('memorystore')(session);
  store = new MemoryStore({ checkPeriod: 1500 });
}
app.use(
  session({
    secret: 'trial-secret',
    resave: false,
    saveUninitialized: true,
    store,
    cookie: { maxAge: leak ? null : 1500 },
  }),
);
app.get('/{*any}', (req, res) => {
  req.session.hits = (req.session.hits || 0) + 1;
  res.json({ path: req.path, hits: req.session.hits });
});
app.post('/{*any}', (req, res) => {
  req.session.posts = (req.session.posts || 0) + 1;
  res.status(201).json({ ok: true });
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
