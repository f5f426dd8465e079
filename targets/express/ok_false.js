// Single-page-app backend that answers every sign-in with 200 and {"ok": false},
// running with Express's development defaults.
//
// Models a small Express 5 JSON API behind a React front end: POST /api/session
// takes {"email", "password"} (express.json()) and always answers 200, with
// {"ok": true, "token": ...} on success and {"ok": false, "message": "Invalid
// email or password."} on any credential failure (a missing field gets 400
// {"ok": false, "message": "Email and password are required."}). Passwords are
// compared with crypto.timingSafeEqual on SHA-256 digests, for every request,
// so existing and unknown accounts look and take the same. Nothing throttles
// failed sign-ins.
//
// It is started without NODE_ENV (as `node server.js` starts it), so Express's
// final error handler is in development mode: a body express.json() cannot
// parse gets a 400 HTML page with the full stack trace ("SyntaxError:
// Unexpected token ... at JSON.parse ... at .../body-parser/lib/types/json.js").
//
// A correct keyhole scan must report: rate-limit.missing and auth.debug-exposure.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { listen } = require('./_port');

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const users = new Map([
  ['admin@example.com', { id: 1, digest: sha('Adm1n!Spa-2024') }],
  ['alice@example.com', { id: 2, digest: sha('alice-spa-pw') }],
  ['support@example.com', { id: 3, digest: sha('Welcome1!') }],
]);
const unknown = { id: 0, digest: sha(crypto.randomBytes(16)) };

const app = express();
app.use(express.json());

app.get('/', (req, res) => {
  res.json({ name: 'spa-backend', version: '0.4.0' });
});

app.post('/api/session', (req, res) => {
  const { email, password } = req.body || {};
  if (typeof email !== 'string' || typeof password !== 'string' || !email || !password) {
    return res.status(400).json({ ok: false, message: 'Email and password are required.' });
  }
  const user = users.get(email.trim().toLowerCase());
  const match = crypto.timingSafeEqual((user || unknown).digest, sha(password));
  if (!user || !match) {
    return res.json({ ok: false, message: 'Invalid email or password.' });
  }
  res.json({ ok: true, token: crypto.randomBytes(24).toString('base64url'), userId: user.id });
});

listen(app, 'ok_false');
