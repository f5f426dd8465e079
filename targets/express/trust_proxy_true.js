// express-rate-limit with `app.set('trust proxy', true)` and no proxy in front.
//
// Models the most common fix people paste when express-rate-limit complains
// about X-Forwarded-For: `app.set('trust proxy', true)`. Sign-in is POST
// /users/login with a urlencoded form (username, password) limited to 5
// attempts per 15 minutes per req.ip, with the draft-8 RateLimit headers (so
// the 429 carries Retry-After). But with every hop trusted and no proxy
// actually in front, req.ip is the left-most X-Forwarded-For address the client
// chose, so a fresh spoofed address per request is never limited.
// express-rate-limit even logs ERR_ERL_PERMISSIVE_TRUST_PROXY at start-up.
// Failures are a generic 401 {"message": "Invalid username or password"};
// passwords are compared in constant time.
//
// A correct keyhole scan must report exactly: rate-limit.ip-header-bypass.
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const { listen } = require('./_port');

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const users = new Map([
  ['admin', sha('Adm1n-Proxy!')],
  ['root', sha('r00t-r00t-r00t')],
  ['jenkins', sha('ci-pipeline-42')],
]);
const nobody = sha(crypto.randomBytes(16));

const app = express();
app.set('trust proxy', true);
app.use(express.urlencoded({ extended: false }));

const loginLimiter = rateLimit({
  windowMs: 15 * 60 * 1000,
  limit: 5,
  standardHeaders: 'draft-8',
  legacyHeaders: false,
  message: { message: 'Too many login attempts, please try again later.' },
});

app.get('/', (req, res) => res.json({ service: 'build-server', ui: '/ui/' }));

app.post('/users/login', loginLimiter, (req, res) => {
  const { username, password } = req.body || {};
  if (!username || !password) return res.status(400).json({ message: 'Missing username or password' });
  const digest = users.get(String(username));
  const ok = crypto.timingSafeEqual(digest || nobody, sha(password)) && Boolean(digest);
  if (!ok) return res.status(401).json({ message: 'Invalid username or password' });
  res.json({ token: crypto.randomBytes(24).toString('hex') });
});

listen(app, 'trust_proxy_true');
