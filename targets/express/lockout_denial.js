// A hard per-account lockout on a server-rendered sign-in form: anyone can lock anyone out.
//
// Models the lockout many Express apps hand-roll against brute force: GET /login
// renders an HTML form (username, password); POST /login (urlencoded) counts
// failed attempts per username (lower-cased, for every name sent, whether an
// account exists or not, so the count tells nothing about which accounts exist)
// and, after the 5th failure in a row (itself answered like the others), locks
// that username for 15 minutes. While locked, every attempt, the correct
// password included and from any client, gets
//   429, Retry-After: <seconds left>, and the page "Too many failed sign-in
//   attempts. This account is locked for 15 minutes."
// (the minutes shown count down). Failures before that re-render the form with
// 200 and "Invalid username or password."; a success resets the count and
// answers 303 to /home with a session cookie. Passwords are compared as SHA-256
// digests with crypto.timingSafeEqual, for unknown names too (no timing
// difference). Nothing limits a client that spreads its attempts over many
// usernames. GET / is the intranet's landing page, linking to the sign-in.
//
// In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD, see _lab_account.js)
// the tester's account is created with that username and password.
//
// A correct keyhole scan of the sign-in POST /login must report:
// * plain mode: rate-limit.spraying-unthrottled (one username repeated is
//   refused from the 6th attempt on, one password across many usernames never is).
//   No enumeration: random names lock exactly like real ones, and guessed
//   candidates get at most 3 attempts, below the threshold.
// * owned mode (--username U --password-env KEYHOLE_LAB_PASSWORD): the same, plus
//   auth.lockout-denial: after 5 failures the owned account refuses its correct
//   password to a fresh client too; threshold 5 (failures before the lock),
//   duration 900 s (Retry-After and the message), and the account is left locked
//   for 15 minutes (the report must say so, with the time).
// There are no reset or registration flows ("Forgot your password? Ask the IT
// desk." is plain text).
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { listen } = require('./_port');
const { labAccount } = require('./_lab_account');

const MAX_FAILED = 5;
const LOCK_MS = 15 * 60 * 1000;

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const users = new Map([
  ['admin', sha('Intranet-Adm1n-2024')],
  ['jsmith', sha('jsmith-pw-2024')],
  ['helpdesk', sha('Helpd3sk!Intranet')],
]);
const owned = labAccount();
if (owned) users.set(owned.username.toLowerCase(), sha(owned.password));
const nobody = sha(crypto.randomBytes(16));

// username -> {failed, lockedUntil}
const attempts = new Map();
const sessions = new Map();

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const page = (error) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in · Northwind intranet</title></head>
<body>
  <h1>Northwind intranet</h1>
  ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
  <form method="post" action="/login">
    <label>Username <input type="text" name="username" autocomplete="username"></label>
    <label>Password <input type="password" name="password" autocomplete="current-password"></label>
    <button type="submit">Sign in</button>
  </form>
  <p>Forgot your password? Ask the IT desk (extension 4357).</p>
</body></html>`;

const app = express();
app.use(express.urlencoded({ extended: false }));

app.get('/', (req, res) => {
  res.send('<!doctype html><title>Northwind intranet</title><h1>Northwind intranet</h1><p><a href="/login">Sign in</a> to continue.</p>');
});
app.get('/login', (req, res) => res.send(page()));

app.post('/login', (req, res) => {
  const { username, password } = req.body || {};
  if (!username || !password) return res.status(400).send(page('Please enter your username and password.'));
  const name = String(username).trim().toLowerCase();
  const now = Date.now();
  const state = attempts.get(name) || { failed: 0, lockedUntil: 0 };
  attempts.set(name, state);
  if (state.lockedUntil > now) {
    const secs = Math.ceil((state.lockedUntil - now) / 1000);
    return res
      .status(429)
      .set('Retry-After', String(secs))
      .send(page(`Too many failed sign-in attempts. This account is locked for ${Math.ceil(secs / 60)} minutes.`));
  }
  const digest = users.get(name);
  const ok = crypto.timingSafeEqual(digest || nobody, sha(password)) && Boolean(digest);
  if (ok) {
    state.failed = 0;
    const sid = crypto.randomBytes(18).toString('base64url');
    sessions.set(sid, name);
    return res.cookie('sid', sid, { httpOnly: true, sameSite: 'lax' }).redirect(303, '/home');
  }
  state.failed += 1;
  if (state.failed >= MAX_FAILED) {
    // The 5th failure is answered like the others; the lock applies from the next attempt.
    state.failed = 0;
    state.lockedUntil = now + LOCK_MS;
    if (digest) console.error(`lockout_denial: account ${name} locked until ${new Date(state.lockedUntil).toISOString()}`);
  }
  res.send(page('Invalid username or password.'));
});

app.get('/home', (req, res) => {
  const sid = (req.headers.cookie || '').match(/(?:^|;\s*)sid=([^;]+)/);
  const who = sid && sessions.get(sid[1]);
  if (!who) return res.redirect(303, '/login');
  res.send(`<!doctype html><title>Home · Northwind intranet</title><p>Signed in as ${escapeHtml(who)}.</p>`);
});

listen(app, 'lockout_denial');
