// A trial service on a popular framework, not a fixture of this repository: bench/frameworks.ts
// installs its framework from the npm registry into a temporary folder and runs it there.
// express + ajv: query strings and JSON bodies validated against JSON schemas. VARIANT=leak
// builds the schema object inside the handler and compiles it there, on every request: ajv
// caches each compiled validator by its schema object, so every request adds a validator and its
// generated code for the life of the process (the mistake ajv's documentation warns of: compile
// once, reuse the function). The clean one compiles each schema once, at start-up.
const express = require('express');
const { mountShop, items } = require('./shop-routes');
const Ajv = require('ajv');
const leak = process.env.VARIANT === 'leak';
const ajv = new Ajv({ coerceTypes: true, allErrors: true });
const app = express();
app.use(express.json());

const pageSchema = () => ({
  type: 'object',
  properties: { page: { type: 'integer', minimum: 1, maximum: 1000 } },
  additionalProperties: true,
});
const searchSchema = () => ({
  type: 'object',
  properties: { q: { type: 'string', maxLength: 200 }, page: { type: 'integer', minimum: 1 } },
  required: ['q'],
});
const orderSchema = () => ({
  type: 'object',
  properties: {
    lines: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        properties: { sku: { type: 'string' }, qty: { type: 'integer', minimum: 1 } },
      },
    },
  },
});
const compiled = {
  page: ajv.compile(pageSchema()),
  search: ajv.compile(searchSchema()),
  order: ajv.compile(orderSchema()),
};
/** The validator for a schema: compiled now (leak) or the one compiled at start-up (clean). */
function validator(name, schema) {
  return leak ? ajv.compile(schema()) : compiled[name];
}
function validate(name, schema, data, res) {
  const check = validator(name, schema);
  if (check(data)) return true;
  res.status(400).json({ error: 'invalid', details: ajv.errorsText(check.errors) });
  return false;
}

mountShop(app, {
  'GET /api/items': (req, res) => {
    const query = { ...req.query };
    if (!validate('page', pageSchema, query, res)) return;
    const page = query.page ?? 1;
    res.json(items.slice((page - 1) * 20, page * 20));
  },
  'GET /api/search': (req, res) => {
    const query = { ...req.query };
    if (!validate('search', searchSchema, query, res)) return;
    res.json(items.filter((i) => i.name.includes(String(query.q).slice(0, 3))).slice(0, 10));
  },
  'POST /api/orders': (req, res) => {
    if (!validate('order', orderSchema, req.body ?? {}, res)) return;
    res.status(201).json({ ok: true, lines: Array.isArray(req.body?.lines) ? req.body.lines.length : 0 });
  },
});
app.listen(Number(process.env.PORT || 0), '127.0.0.1');
