// express-rate-limit done right behind a reverse proxy (started with nginx in
// front by targets/proxy/nginx-front, which overwrites X-Forwarded-For).
//
// Models the express-rate-limit docs' advice for apps behind one proxy:
// `app.set('trust proxy', 1)` (trust exactly the one hop in front) and a limiter
// on POST /api/v1/auth/login (JSON {"username", "password"}): 5 attempts per 10
// minutes per req.ip, draft-8 RateLimit headers, so the 429 carries
// Retry-After. nginx sets X-Forwarded-For to the address it sees
// (`proxy_set_header X-Forwarded-For $remote_addr`), so whatever client-address
// headers a client sends are discarded before they reach the app.
// Failures are a generic 401 {"error": "invalid_credentials"}.
//
// A correct keyhole scan (of nginx's port) must report no findings: the limit
// holds even with spoofed X-Forwarded-For, X-Real-IP or Forwarded headers.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const { listen } = require('./_port');

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const users = new Map([
  ['admin', sha('Pr0xied-Adm1n')],
  ['alice', sha('alice-behind-nginx')],
]);
const nobody = sha(crypto.randomBytes(16));

const app = express();
app.set('trust proxy', 1);
app.use(express.json());

const authLimiter = rateLimit({
  windowMs: 10 * 60 * 1000,
  limit: 5,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  message: { error: 'too_many_requests', error_description: 'Too many sign-in attempts. Try again later.' },
});

app.get('/', (req, res) => res.json({ service: 'billing-api', version: '3.1.0' }));

app.post('/api/v1/auth/login', authLimiter, (req, res) => {
  const { username, password } = req.body || {};
  if (typeof username !== 'string' || typeof password !== 'string') {
    return res.status(400).json({ error: 'invalid_request' });
  }
  const digest = users.get(username);
  const ok = crypto.timingSafeEqual(digest || nobody, sha(password)) && Boolean(digest);
  if (!ok) return res.status(401).json({ error: 'invalid_credentials' });
  res.json({ access_token: crypto.randomBytes(24).toString('hex'), token_type: 'Bearer' });
});

listen(app, 'behind_proxy');
