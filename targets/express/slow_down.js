// Server-rendered sign-in page slowed down by express-slow-down: a tarpit, never a 429.
//
// Models the express-slow-down README: instead of blocking, each request over
// the allowance is delayed more. GET /sign-in renders an HTML form (email,
// password); POST /sign-in (urlencoded) re-renders it with 200 and "Invalid
// email or password." on failure. The POST route allows 5 attempts per 15
// minutes per client address at full speed, then delays each further attempt
// by 400 ms more than the last (capped at 3 s). No 429, 423 or 503 is ever
// sent: the only sign of the throttle is time.
//
// A correct keyhole scan must report no findings (it should observe a tarpit).
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { slowDown } = require('express-slow-down');
const { listen } = require('./_port');

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const users = new Map([
  ['admin@example.com', sha('Slow-Adm1n-99')],
  ['test@example.com', sha('test-test-test')],
]);
const nobody = sha(crypto.randomBytes(16));

const signInSpeedLimiter = slowDown({
  windowMs: 15 * 60 * 1000,
  delayAfter: 5,
  delayMs: (hits) => (hits - 5) * 400,
  maxDelayMs: 3000,
});

const page = (error) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Timesheets</title></head>
<body>
  <h1>Timesheets</h1>
  ${error ? `<p class="error">${error}</p>` : ''}
  <form method="post" action="/sign-in">
    <label>Email <input type="email" name="email" autocomplete="username"></label>
    <label>Password <input type="password" name="password" autocomplete="current-password"></label>
    <button>Sign in</button>
  </form>
</body></html>`;

const app = express();
app.use(express.urlencoded({ extended: false }));

app.get('/', (req, res) => res.send('<!doctype html><title>Timesheets</title><a href="/sign-in">Sign in</a>'));
app.get('/sign-in', (req, res) => res.send(page()));
app.post('/sign-in', signInSpeedLimiter, (req, res) => {
  const { email, password } = req.body || {};
  if (!email || !password) return res.status(400).send(page('Please enter your email and password.'));
  const digest = users.get(String(email).toLowerCase());
  const ok = crypto.timingSafeEqual(digest || nobody, sha(password)) && Boolean(digest);
  if (!ok) return res.send(page('Invalid email or password.'));
  res.redirect(303, '/timesheets');
});

listen(app, 'slow_down');
