// A sign-up that validates every field at once, so "already registered" shows with the password missing.
//
// Models the common Express 5 JSON API pattern of collecting every validation
// error into one object: POST /api/register takes {"email", "password"} and
// checks both fields together. The e-mail check includes uniqueness, so a body
// with only the e-mail of an existing account gets
//   400 {"errors": {"password": "Password is required", "email": "Email already registered"}}
// while an unused address gets
//   400 {"errors": {"password": "Password is required"}}.
// (A missing or malformed e-mail: "Email is required" / "Email is invalid"; a
// password under 8 characters: "Password must be at least 8 characters".) Only a
// complete valid body creates an account (201 {"id", "email"}). No e-mail
// confirmation step comes first.
//
// The rest is done right:
// * sign-in POST /api/auth/login (JSON {"email", "password"}): one generic 401
//   {"error": "Invalid email or password"}, constant-time comparison of SHA-256
//   digests for known and unknown addresses alike, express-rate-limit at 5 per
//   15 minutes per client address (draft-8 headers, Retry-After on the 429);
// * password reset POST /api/auth/forgot-password (JSON {"email"}): the same 200
//   {"message": "If that address is registered, a reset link is on its way."}
//   for everyone, the mail queued after the answer (no timing difference), and
//   express-rate-limit at 5 per 15 minutes per client address.
// GET / lists the three paths.
//
// In owned mode (KEYHOLE_LAB_USER / KEYHOLE_LAB_PASSWORD, see _lab_account.js)
// the tester's account is created too; the site knows accounts only by e-mail
// address, so the lab's owned username is an e-mail address.
//
// Seeded accounts are on the shop's own domain, shopfront.io (admin@shopfront.io,
// ...). Without an account of its own keyhole can only try random addresses and
// its guessed candidates: admin, root, administrator, test, user at the target's
// own registrable domain (none for 127.0.0.1) and at example.com
// (admin@example.com, ...). None of those exists here, so plain mode cannot see
// the leak; the owned account (tester@example.com) is the only way in. (A seed
// such as admin@example.com would be guessed, and then plain mode would see it.)
//
// A correct keyhole scan must report:
// * sign-in POST /api/auth/login: nothing, in both modes (the limit is per client
//   address, so with --password-env the account never locks for others);
// * registration POST /api/register: plain mode, nothing (no guessed identifier
//   exists); owned mode, auth.user-enumeration.registration (the owned address,
//   sent with the password left out, gets "Email already registered" where random
//   addresses get only "Password is required");
// * password reset POST /api/auth/forgot-password: nothing in either mode
//   (generic and throttled at 5; in owned mode the throttle leaves too few
//   samples to compare, so keyhole must say it could not decide, not guess).
'use strict';

const crypto = require('node:crypto');
const express = require('express');
const { rateLimit } = require('express-rate-limit');
const { listen } = require('./_port');
const { labAccount } = require('./_lab_account');

const sha = (s) => crypto.createHash('sha256').update(String(s)).digest();
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

let nextId = 1;
const users = new Map();
const addUser = (email, password) => users.set(email.toLowerCase(), { id: nextId++, digest: sha(password) });
// The shop's own domain, which a scan of 127.0.0.1 cannot know (see the header).
addUser('admin@shopfront.io', 'Adm1n-Register-2024');
addUser('hana@shopfront.io', 'hana-pass-2024');
addUser('team@shopfront.io', 'T3am-Shared-pw');
const owned = labAccount();
if (owned) addUser(owned.email, owned.password);
const nobody = sha(crypto.randomBytes(16));

const limiter = () =>
  rateLimit({
    windowMs: 15 * 60 * 1000,
    limit: 5,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    message: { error: 'Too many requests, please try again later.' },
  });

const app = express();
app.use(express.json());

app.get('/', (req, res) => {
  res.json({
    name: 'shop-accounts',
    version: '2.1.0',
    links: { signIn: '/api/auth/login', register: '/api/register', forgotPassword: '/api/auth/forgot-password' },
  });
});

app.post('/api/auth/login', limiter(), (req, res) => {
  const { email, password } = req.body || {};
  if (typeof email !== 'string' || typeof password !== 'string' || !email || !password) {
    return res.status(400).json({ error: 'Email and password are required' });
  }
  const user = users.get(email.trim().toLowerCase());
  const match = crypto.timingSafeEqual((user || { digest: nobody }).digest, sha(password));
  if (!user || !match) return res.status(401).json({ error: 'Invalid email or password' });
  res.json({ token: crypto.randomBytes(24).toString('base64url'), userId: user.id });
});

app.post('/api/register', (req, res) => {
  const { email, password } = req.body || {};
  const errors = {};
  if (password === undefined || password === null || password === '') errors.password = 'Password is required';
  else if (typeof password !== 'string' || password.length < 8) errors.password = 'Password must be at least 8 characters';
  if (typeof email !== 'string' || !email.trim()) errors.email = 'Email is required';
  else if (!EMAIL.test(email.trim())) errors.email = 'Email is invalid';
  else if (users.has(email.trim().toLowerCase())) errors.email = 'Email already registered';
  if (Object.keys(errors).length) return res.status(400).json({ errors });
  addUser(email.trim(), password);
  const user = users.get(email.trim().toLowerCase());
  console.error(`register_taken: ACCOUNT CREATED for ${email.trim().toLowerCase()} (id ${user.id})`);
  res.status(201).json({ id: user.id, email: email.trim().toLowerCase() });
});

app.post('/api/auth/forgot-password', limiter(), (req, res) => {
  const { email } = req.body || {};
  if (typeof email !== 'string' || !EMAIL.test(email.trim())) {
    return res.status(400).json({ error: 'A valid email address is required' });
  }
  const address = email.trim().toLowerCase();
  if (users.has(address)) setImmediate(() => console.error(`register_taken: reset link mailed to ${address}`));
  res.json({ message: 'If that address is registered, a reset link is on its way.' });
});

listen(app, 'register_taken');
