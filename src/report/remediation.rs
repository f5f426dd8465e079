//! Remediation text per finding id, in the words of the detected framework.
//!
//! Texts are plain prose with code snippets indented by four spaces (a code block in Markdown,
//! readable as is in a terminal). Flask, FastAPI, Django and Express get their own texts; the
//! other frameworks get the generic text plus a framework sentence where one helps.

use super::model::Framework;

/// Remediation for finding `id` on an API built with `framework`.
pub fn text(id: &str, framework: Framework) -> String {
    let specific = match framework {
        Framework::Flask => flask(id),
        Framework::FastApi => fastapi(id),
        Framework::Django => django(id),
        Framework::Express => express(id),
        _ => None,
    };
    if let Some(t) = specific {
        return t.trim().to_string();
    }
    let Some(base) = generic(id) else {
        return format!(
            "No specific remediation is recorded for `{id}`. Review the finding's summary and \
             evidence, and make failed sign-ins uniform, throttled per client address, and free \
             of internal detail."
        );
    };
    match hint(id, framework) {
        Some(h) => format!("{}\n\n{}", base.trim(), h.trim()),
        None => base.trim().to_string(),
    }
}

/// Framework-neutral advice for every catalog id.
fn generic(id: &str) -> Option<&'static str> {
    Some(match id {
        "rate-limit.missing" => {
            r#"
Throttle failed sign-ins. Count failures per client address across all usernames (this is what stops password spraying) and, more loosely, per account; once a limit is reached, answer 429 Too Many Requests with a Retry-After header until the window ends. A reasonable start is 5 failed attempts per minute per client address, plus a slower per-account limit or a growing delay (an account lockout alone does nothing against spraying and lets anyone lock real users out).

Keep the counters in a store every instance shares (Redis, the database), not in process memory, and key them on the connection's address as resolved by your trusted-proxy configuration, never on a header the client can set. After repeated failures, step up with a CAPTCHA or MFA rather than only blocking.
"#
        }
        "rate-limit.spraying-unthrottled" => {
            r#"
Sign-in is throttled per account only, so an attacker who tries one common password against many accounts never reaches the limit. Keep the per-account limit and add one keyed on the client address that counts failed attempts across all usernames (for example 5 to 10 per minute), answering 429 with Retry-After when it trips. Against spraying spread over many addresses, also alert on the overall failure rate (many accounts, few attempts each) and step up with a CAPTCHA or MFA.
"#
        }
        "rate-limit.ip-header-bypass" => {
            r#"
The throttle takes the client's address from a header the client controls (X-Forwarded-For, X-Real-IP, Forwarded, True-Client-IP, ...), so every request with a new made-up value starts a fresh counter. Key the limiter on the TCP peer address. If the app sits behind reverse proxies you operate, derive the client address from the forwarding header only for requests that arrive from those proxies, and take the entry exactly as many hops from the right as there are proxies (the left-most entries are whatever the client sent). Have the outermost proxy overwrite, not append to, incoming forwarding headers, and make sure the app cannot be reached except through the proxy.
"#
        }
        "rate-limit.no-retry-after" => {
            r#"
Throttle responses (429, or 503 when it is used for throttling) should carry Retry-After with the number of seconds until the client may try again (RFC 6585, RFC 9110 section 10.2.3). Well-behaved clients and SDKs then back off correctly, and monitoring can tell a throttle from an outage. The RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers are a useful addition.
"#
        }
        "auth.user-enumeration.response" => {
            r#"
The API answers differently for an existing and a non-existing account, which lets an attacker build a list of valid usernames before spraying passwords at them. Make every failed sign-in identical: the same status (401), the same body (for example {"error": "Invalid username or password"}), the same headers and cookies, whichever check failed. Do not return 404 or a different message for unknown users, and do not reveal disabled or locked accounts before the correct password was given. Check registration and password-reset flows for the same leak.
"#
        }
        "auth.user-enumeration.timing" => {
            r#"
Failed sign-ins for existing accounts take measurably longer (or shorter) than for unknown ones, usually because the password hash is computed only when the user is found. Do the same work on every path: when the user does not exist, verify the submitted password against a dummy hash created at start-up with the same algorithm and cost as real hashes, then fail. Avoid early returns before the hash check, and avoid extra work (lockout lookups, MFA checks, logging to slow sinks) that runs only for real accounts before the answer is sent.
"#
        }
        "auth.verbose-error" => {
            r#"
The rejection says why sign-in failed ("user does not exist", "incorrect password", "account disabled"), which tells an attacker which usernames are real. Return one generic message for every credential failure, such as "Invalid username or password", and log the specific reason server-side only. If a disabled or locked account needs a different message, show it only after the correct password was given.
"#
        }
        "auth.debug-exposure" => {
            r#"
The sign-in surface shows a debugger, stack trace or framework debug page. Besides leaking source code, file paths, settings and sometimes secrets, an interactive debugger can give anyone who reaches it remote code execution. Turn debug mode off in production, answer unexpected errors with a generic body from a global error handler, log the details server-side, and make sure the deployment runs in the production environment and never exposes a development server.
"#
        }
        "auth.user-enumeration.reset" => {
            r#"
Answer every password-reset request the same way, whether or not the address has an account: the same status, the same body ("If an account exists for that address, we sent a link"), the same headers, and in the same time. Send the mail from a background job (a queue or a task runner) so that an existing account does not cost hundreds of milliseconds more than an unknown one; tell the owner of an unknown address nothing, or send that address a neutral "someone asked for a reset" note through the same queue.
"#
        }
        "auth.user-enumeration.registration" => {
            r#"
Do not say at sign-up that an identifier is taken. Accept the form, answer "check your inbox to finish signing up" for every address, and put the difference in the e-mail: a new address gets a confirmation link, an existing one gets "you already have an account; sign in or reset your password". Where a username (not an e-mail) must be unique and visible, accept that it can be enumerated, throttle the check per client address, and keep it off the e-mail identifier.
"#
        }
        "rate-limit.reset-missing" => {
            r#"
Throttle password-reset requests per client address (for example 5 per hour) and per target address (for example 3 per hour), answer 429 with Retry-After once a limit is reached, and keep reset tokens long (at least 128 random bits) and single-use with a short expiry, so they cannot be guessed however many are requested.
"#
        }
        "auth.lockout-denial" => {
            r#"
Do not lock an account hard after a few failures: anyone who knows a user's name can keep that user out. Throttle per client address (which is what stops spraying), and per account use progressive delays (1 s, 2 s, 4 s…) or a CAPTCHA after a few failures instead of refusing the correct password; if a lockout is required by policy, make it short, let the owner unlock it by e-mail, and never let failures from other addresses lock out a user who signs in from a known device.
"#
        }
        "rate-limit.batched-attempts" => {
            r#"
One HTTP request can carry many sign-in attempts (GraphQL aliases of the sign-in mutation, or an array of operations), and each is checked, so a limit that counts requests lets several times more guesses through. Count attempts, not requests: throttle inside the sign-in resolver (per client address and per account), cap aliases and root fields per operation (graphql-armor's `maxAliases`, graphene's or Strawberry's query validators, Apollo Server's and graphql-yoga's plugins, Hot Chocolate's `AddMaxExecutionDepthRule` and cost analysis, gqlgen's `FixedComplexityLimit`), keep array batching off, and reject a document that calls the sign-in mutation more than once.
"#
        }
        _ => return None,
    })
}

/// One framework sentence added to the generic text, for frameworks without a full text.
fn hint(id: &str, framework: Framework) -> Option<&'static str> {
    use Framework::*;
    let rate = matches!(id, "rate-limit.missing" | "rate-limit.spraying-unthrottled");
    let enumeration = matches!(
        id,
        "auth.user-enumeration.response" | "auth.user-enumeration.timing" | "auth.verbose-error"
    );
    Some(match framework {
        Flask
            if id == "auth.user-enumeration.reset"
                || id == "auth.user-enumeration.registration" =>
        {
            r#"With Flask-Security, set `SECURITY_RETURN_GENERIC_RESPONSES = True`: forgot-password, registration and sign-in then answer the same way for known and unknown addresses; send mail asynchronously (`@security.send_mail` with a Celery task) so the time does not differ either."#
        }
        Flask | Django | FastApi if id == "rate-limit.batched-attempts" => {
            r#"In Python, with graphene add a validation rule that limits aliases (`graphene.validation.depth_limit_validator` covers depth; write a `ValidationRule` that counts the sign-in field, or use `graphql-core`'s `validate(..., rules=[...])`), with Strawberry add `strawberry.extensions.MaxAliasesLimiter(max_alias_count=1)` and `MaxTokensLimiter`; then throttle inside the mutation's resolver (django-ratelimit's `is_ratelimited(request, group="login", key="ip", rate="5/m", increment=True)` or Flask-Limiter's `limiter.limit` around the resolver), so each call counts."#
        }
        Express if id == "rate-limit.batched-attempts" => {
            r#"In Node, Apollo Server and graphql-yoga accept `@escape.tech/graphql-armor` (`maxAliases: { n: 1 }`, `maxDepth`, `costLimit`); keep Apollo's `allowBatchedHttpRequests` false, and call rate-limiter-flexible's `consume(ip)` inside the sign-in resolver rather than (only) in an Express middleware in front of /graphql."#
        }
        Flask if id == "rate-limit.reset-missing" => {
            r#"In Flask, decorate the reset view with Flask-Limiter: `@limiter.limit("5 per hour", key_func=get_remote_address)` (with Flask-Security, `limiter.limit(...)(app.view_functions["security.forgot_password"])`)."#
        }
        Django
            if id == "auth.user-enumeration.reset"
                || id == "auth.user-enumeration.registration" =>
        {
            r#"Django's own `PasswordResetView` already answers every address with the same "done" page; keep it (and send the mail through a queue so the time matches). With django-allauth keep `ACCOUNT_PREVENT_ENUMERATION = True` (the default; "strict" also covers sign-up) and configure an `EMAIL_BACKEND`, or the reset view fails with a 500."#
        }
        Django if id == "rate-limit.reset-missing" => {
            r#"django-allauth limits resets through `ACCOUNT_RATE_LIMITS["reset_password"]` (default "20/m/ip,5/m/key"); for Django's `PasswordResetView`, add django-ratelimit: `@method_decorator(ratelimit(key="ip", rate="5/h", method="POST", block=True), name="post")`."#
        }
        Django if id == "auth.lockout-denial" => {
            r#"With django-axes, prefer `AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]` and a short `AXES_COOLOFF_TIME` over locking the username alone; allauth's `ACCOUNT_RATE_LIMITS["login_failed"]` can be made per-IP only ("10/m/ip")."#
        }
        FastApi
            if id == "auth.user-enumeration.reset"
                || id == "auth.user-enumeration.registration" =>
        {
            r#"FastAPI Users answers forgot-password with 202 for every address; keep it that way and send the mail from `on_after_forgot_password` through a background task (`BackgroundTasks` or a queue) so existing accounts are not slower. Its register route says REGISTER_USER_ALREADY_EXISTS: put a generic answer in front of it (catch `UserAlreadyExists` in a custom route) and mail the owner instead."#
        }
        FastApi if id == "rate-limit.reset-missing" => {
            r#"In FastAPI, add slowapi: `@limiter.limit("5/hour")` on the forgot-password route, with `Limiter(key_func=get_remote_address)`."#
        }
        Express
            if id == "auth.user-enumeration.reset"
                || id == "auth.user-enumeration.registration" =>
        {
            r#"In Express, end the reset and sign-up handlers with one `res.status(202).json({ message: 'If that address can be used, we sent an e-mail' })` for every outcome, and queue the mail (`setImmediate` or a job queue) instead of awaiting it; passport strategies only cover sign-in, so these routes need the same care by hand."#
        }
        Express if id == "rate-limit.reset-missing" => {
            r#"In Express, mount express-rate-limit on the route: `app.post('/forgot-password', rateLimit({ windowMs: 60 * 60 * 1000, limit: 5, standardHeaders: 'draft-7' }), handler)`."#
        }
        Express if id == "auth.lockout-denial" => {
            r#"In Express, use rate-limiter-flexible's "login endpoint protection" pattern: a consecutive-failures limiter keyed on username + IP and a per-IP limiter, instead of locking the username for everyone."#
        }
        Rails
            if id == "auth.user-enumeration.reset"
                || id == "auth.user-enumeration.registration" =>
        {
            r#"With Devise, set `config.paranoid = true` in config/initializers/devise.rb: password resets, confirmations and unlocks then answer the same way for unknown addresses."#
        }
        Rails if id == "auth.lockout-denial" => {
            r#"With Devise's :lockable, prefer `config.lock_strategy = :none` with rack-attack throttling, or `config.unlock_strategy = :both` with a short `unlock_in`, so a stranger cannot keep a user locked."#
        }
        Laravel if id == "auth.user-enumeration.reset" => {
            r#"In Laravel, answer `Password::sendResetLink` with the same `passwords.sent` message whatever status it returns (RESET_LINK_SENT or INVALID_USER)."#
        }
        Rails if rate => {
            r#"In Rails, rack-attack does this: `Rack::Attack.throttle("logins/ip", limit: 5, period: 60) { |req| req.ip if req.post? && req.path == "/login" }`. Rails 7.2+ also offers `rate_limit to: 5, within: 1.minute, only: :create` in the sessions controller, keyed on the client address by default."#
        }
        Rails if id == "rate-limit.ip-header-bypass" => {
            r#"In Rails, key on `request.remote_ip`, which honours forwarding headers only from `config.action_dispatch.trusted_proxies`; set that to your proxies, and never read a client-address header yourself in a rack-attack block."#
        }
        Rails if id == "rate-limit.no-retry-after" => {
            r#"With rack-attack, set `Rack::Attack.throttled_response_retry_after_header = true`; a hand-written throttle should set `response.headers["Retry-After"]`."#
        }
        Rails if enumeration => {
            r#"In Rails 7.1+, `User.authenticate_by(email: params[:email], password: params[:password])` returns nil for both an unknown user and a wrong password and takes the same time in both cases; answer nil with one 401 message."#
        }
        Rails if id == "auth.debug-exposure" => {
            r#"In Rails, run with RAILS_ENV=production and keep `config.consider_all_requests_local = false` in config/environments/production.rb."#
        }
        Spring if rate => {
            r#"Spring Security has no built-in sign-in throttle: put a filter before the authentication filter that keeps a Bucket4j bucket per client address (`request.getRemoteAddr()`) and answers 429 with Retry-After when it is empty."#
        }
        Spring if id == "rate-limit.ip-header-bypass" => {
            r#"In Spring Boot, use `request.getRemoteAddr()` with `server.forward-headers-strategy=native` and `server.tomcat.remoteip.internal-proxies` matching only your proxies' addresses; never read a client-address header yourself."#
        }
        Spring if enumeration => {
            r#"Spring Security's DaoAuthenticationProvider already turns an unknown user into BadCredentialsException (hideUserNotFoundExceptions) and checks a dummy password for it; keep both, and map every AuthenticationException to the same 401 body."#
        }
        Spring if id == "auth.debug-exposure" => {
            r#"In Spring Boot, set `server.error.include-stacktrace=never` and `server.error.include-message=never`, and do not expose Actuator endpoints or devtools in production."#
        }
        Laravel if rate => {
            r#"In Laravel, define `RateLimiter::for('login', fn (Request $request) => Limit::perMinute(5)->by($request->ip()));` and add `->middleware('throttle:login')` to the sign-in route; the stock limiter keyed on username and address together does not stop spraying on its own."#
        }
        Laravel if id == "rate-limit.ip-header-bypass" => {
            r#"In Laravel, trust only your proxies' addresses (`$middleware->trustProxies(at: ['10.0.0.5'])` in Laravel 11+, or the TrustProxies middleware), never `'*'` unless the app is reachable only through them, and key limiters on `$request->ip()`."#
        }
        Laravel if id == "rate-limit.no-retry-after" => {
            r#"Laravel's `throttle` middleware already sends Retry-After with its 429; a hand-written limiter should add `->header('Retry-After', RateLimiter::availableIn($key))`."#
        }
        Laravel if enumeration => {
            r#"In Laravel, answer every failure with the same `trans('auth.failed')` message, and if your code returns early for unknown users, call `Hash::check($password, $dummyHash)` first so both paths do the same work."#
        }
        Laravel if id == "auth.debug-exposure" => {
            r#"In Laravel, set `APP_DEBUG=false` and `APP_ENV=production`, and do not expose Ignition or Telescope routes in production."#
        }
        AspNet if rate => {
            r#"ASP.NET Core 7+ has rate-limiting middleware: `builder.Services.AddRateLimiter(o => { o.RejectionStatusCode = 429; o.AddPolicy("login", ctx => RateLimitPartition.GetFixedWindowLimiter(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) })); });`, then `app.UseRateLimiter()` and `.RequireRateLimiting("login")` on the sign-in endpoint. Identity's `lockoutOnFailure: true` is per account only."#
        }
        AspNet if id == "rate-limit.ip-header-bypass" => {
            r#"In ASP.NET Core, use `app.UseForwardedHeaders()` with `KnownProxies`/`KnownNetworks` listing only your proxies and `ForwardLimit` set to the hop count, and partition limiters on `HttpContext.Connection.RemoteIpAddress`."#
        }
        AspNet if id == "rate-limit.no-retry-after" => {
            r#"In ASP.NET Core, set `OnRejected` to copy the lease's `MetadataName.RetryAfter` into `context.HttpContext.Response.Headers.RetryAfter`."#
        }
        AspNet if enumeration => {
            r#"With ASP.NET Core Identity, treat every unsuccessful `SignInResult` (Failed, LockedOut, NotAllowed) the same way before the password is known to be right, and answer with one 401 message."#
        }
        AspNet if id == "auth.debug-exposure" => {
            r#"In ASP.NET Core, call `UseDeveloperExceptionPage()` only when `app.Environment.IsDevelopment()`, run with `ASPNETCORE_ENVIRONMENT=Production`, and use `UseExceptionHandler` for a generic error body."#
        }
        Php if id == "auth.user-enumeration.timing" => {
            r#"In PHP, call `password_verify($password, $dummyHash)` (a hash made once with `password_hash()`) when the user is not found, so both paths do the same work."#
        }
        Php if id == "auth.debug-exposure" => {
            r#"In PHP, set `display_errors = Off` and `log_errors = On` in production, and disable Xdebug."#
        }
        Rust if rate => {
            r#"In a Rust (axum/tower) service, tower_governor's default PeerIpKeyExtractor keys on the peer address; serve with `into_make_service_with_connect_info::<SocketAddr>()` so it is available."#
        }
        Rust if id == "rate-limit.ip-header-bypass" => {
            r#"In a Rust (axum/tower) service, use a key extractor based on the peer address (tower_governor's PeerIpKeyExtractor); header-based extractors such as SmartIpKeyExtractor are only safe when every request comes through a proxy that overwrites those headers."#
        }
        _ => return None,
    })
}

fn flask(id: &str) -> Option<&'static str> {
    Some(match id {
        "rate-limit.missing" => {
            r#"
Add Flask-Limiter and limit the sign-in route per client address, which counts all usernames together:

    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(get_remote_address, app=app,
                      storage_uri="redis://localhost:6379",
                      headers_enabled=True)        # Retry-After on every 429

    @app.post("/login")
    @limiter.limit("5 per minute", deduct_when=lambda r: r.status_code != 200)
    def login():
        ...

Use shared storage (Redis, Memcached) when more than one worker runs; the default in-memory storage is per process. `deduct_when` makes only failed attempts count. Behind a reverse proxy, wrap the app in Werkzeug's ProxyFix with your real hop count so `get_remote_address` sees the client rather than the proxy (see rate-limit.ip-header-bypass).
"#
        }
        "rate-limit.spraying-unthrottled" => {
            r#"
The current limit follows the username (or the account), so one password tried across many accounts is never slowed. Keep it and add a Flask-Limiter limit keyed on the client address, which counts every attempt whatever the username:

    def username_key():
        data = request.get_json(silent=True)
        name = data.get("username") if isinstance(data, dict) else request.form.get("username")
        return "user:" + str(name or "").lower()

    @app.post("/login")
    @limiter.limit("5 per minute")                           # per client address, all usernames
    @limiter.limit("20 per hour", key_func=username_key)     # per account
    def login():
        ...

The limiter must be created with `get_remote_address` as its key function, and behind a proxy the app needs ProxyFix with the real hop count.
"#
        }
        "rate-limit.ip-header-bypass" => {
            r#"
The limiter's key comes from a header the client can set. Key Flask-Limiter on `get_remote_address` (it reads `request.remote_addr`) and, when the app runs behind reverse proxies, let Werkzeug's ProxyFix set `remote_addr` from the forwarding header, trusting exactly as many hops as you run:

    from werkzeug.middleware.proxy_fix import ProxyFix
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1)   # 1 = one proxy (e.g. nginx) in front
    limiter = Limiter(get_remote_address, app=app, storage_uri="redis://localhost:6379")

Never write a key function that reads the X-Forwarded-For or X-Real-IP header yourself, or that uses `request.access_route[0]`: the left-most value is whatever the client sent, so each made-up value gets a fresh counter, which is exactly the bypass this finding shows. Set `x_for` to the real number of proxies (a higher number lets clients choose their address again) and make the app reachable only through the proxy.
"#
        }
        "rate-limit.no-retry-after" => {
            r#"
Turn on Flask-Limiter's headers so every 429 carries Retry-After (and X-RateLimit-Limit, -Remaining, -Reset):

    limiter = Limiter(get_remote_address, app=app, headers_enabled=True)
    # or in the config: RATELIMIT_HEADERS_ENABLED = True

A hand-written throttle should set it itself:

    return jsonify(error="Too many sign-in attempts"), 429, {"Retry-After": str(seconds_left)}
"#
        }
        "auth.user-enumeration.response" | "auth.verbose-error" => {
            r#"
Answer every failed sign-in in Flask the same way, whether the user is unknown, the password wrong or the account disabled: one status, one message, no extra headers or cookies.

    @app.post("/login")
    def login():
        data = request.get_json(silent=True) or {}
        user = User.query.filter_by(username=str(data.get("username", ""))).first()
        if not check_login(user, str(data.get("password", ""))) or not user.active:
            return jsonify(error="Invalid username or password"), 401
        ...

Do not `abort(404)` for an unknown user or return "Incorrect password" or "Account disabled"; log the specific reason server-side instead. `check_login` should also do the same work for unknown users (see auth.user-enumeration.timing).
"#
        }
        "auth.user-enumeration.timing" => {
            r#"
Check the password hash on every path in Flask, including unknown users, against a dummy bcrypt hash made at start-up with the same cost as real ones:

    import secrets, bcrypt

    DUMMY_HASH = bcrypt.hashpw(secrets.token_hex(16).encode(), bcrypt.gensalt())

    def check_login(user, password):
        stored = user.password_hash if user else DUMMY_HASH   # bcrypt hashes, as bytes
        ok = bcrypt.checkpw(password.encode(), stored)
        return user is not None and ok

Avoid returning before the hash when the user is missing, and avoid work that runs only for real accounts (lockout lookups, e-mails) before answering. If the app uses Werkzeug's `check_password_hash`, do the same with a dummy from `generate_password_hash`.
"#
        }
        "auth.debug-exposure" => {
            r#"
Never run the Werkzeug debugger in production: anyone who reaches it gets a Python console on the server (remote code execution), and its tracebacks show source and settings. Remove `app.run(debug=True)` and `FLASK_DEBUG=1` (keep `debug=False`), serve with a WSGI server such as gunicorn (`gunicorn -w 4 app:app`), and answer errors with a generic body:

    @app.errorhandler(500)
    def internal_error(e):
        app.logger.error("unhandled error: %r", getattr(e, "original_exception", e))
        return jsonify(error="Internal server error"), 500
"#
        }
        _ => return None,
    })
}

fn fastapi(id: &str) -> Option<&'static str> {
    Some(match id {
        "rate-limit.missing" => {
            r#"
Add slowapi and limit the sign-in route per client address, which counts all usernames together:

    from fastapi import FastAPI, Request, Response
    from slowapi import Limiter, _rate_limit_exceeded_handler
    from slowapi.errors import RateLimitExceeded
    from slowapi.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address,
                      storage_uri="redis://localhost:6379",
                      headers_enabled=True)       # Retry-After on every 429
    app = FastAPI()
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)

    @app.post("/login")
    @limiter.limit("5/minute")
    def login(request: Request, response: Response, body: LoginIn):
        ...

The endpoint must take `request: Request` (and `response: Response` when headers are enabled). Use shared storage such as Redis when several workers run. Behind a reverse proxy, start uvicorn with `--proxy-headers --forwarded-allow-ips=<your proxy's address>` so `get_remote_address` sees the client (see rate-limit.ip-header-bypass).
"#
        }
        "rate-limit.spraying-unthrottled" => {
            r#"
The current limit follows the username (or the account), so one password tried across many accounts is never slowed. Keep it and add a slowapi limit keyed on the client address, which counts every attempt whatever the username:

    @app.post("/login")
    @limiter.limit("5/minute", key_func=get_remote_address)
    def login(request: Request, response: Response, body: LoginIn):
        ...

Behind a reverse proxy, uvicorn needs `--proxy-headers --forwarded-allow-ips=<your proxy's address>` so that `request.client.host` is the real client.
"#
        }
        "rate-limit.ip-header-bypass" => {
            r#"
The limiter's key comes from a header the client can set. Key slowapi on `get_remote_address`, which returns `request.client.host`, and let uvicorn fill that in from the forwarding header only for connections from your proxy:

    uvicorn app.main:app --proxy-headers --forwarded-allow-ips=10.0.0.5    # your proxy only

(Under gunicorn with uvicorn workers, pass the same `--forwarded-allow-ips` to gunicorn.) Do not use `--forwarded-allow-ips='*'` unless the app cannot be reached except through the proxy, and never write a key function that reads the X-Forwarded-For or X-Real-IP header yourself: the client chooses those values, so each made-up value gets a fresh counter.
"#
        }
        "rate-limit.no-retry-after" => {
            r#"
Create the slowapi Limiter with `headers_enabled=True`; its `_rate_limit_exceeded_handler` then adds Retry-After to the 429. A hand-written throttle should send it itself:

    raise HTTPException(status_code=429, detail="Too many sign-in attempts",
                        headers={"Retry-After": str(seconds_left)})
"#
        }
        "auth.user-enumeration.response"
        | "auth.verbose-error"
        | "auth.user-enumeration.timing" => {
            r#"
In FastAPI, fail every sign-in the same way and with the same work: one HTTPException(401) with one message, and a password check against a dummy hash when the user does not exist.

    import secrets
    from pwdlib import PasswordHash

    password_hash = PasswordHash.recommended()
    DUMMY_HASH = password_hash.hash(secrets.token_hex(16))

    def authenticate(db, username: str, password: str):
        user = get_user(db, username)
        if user is None:
            password_hash.verify(password, DUMMY_HASH)     # same work as a real check
            return None
        if not password_hash.verify(password, user.hashed_password) or user.disabled:
            return None
        return user

    @app.post("/login")
    def login(body: LoginIn, db: Session = Depends(get_db)):
        user = authenticate(db, body.username, body.password)
        if user is None:
            raise HTTPException(status_code=401, detail="Invalid username or password")
        ...

Do not raise 404 or say "Incorrect password" or "User disabled"; log the reason server-side. Use whichever hasher the app already uses (bcrypt, Argon2), with the same cost for the dummy.
"#
        }
        "auth.debug-exposure" => {
            r#"
Create the app with `FastAPI(debug=False)` (the default): with `debug=True` Starlette answers errors with full tracebacks. Do not deploy with `--reload` or a debug flag taken from the environment, and answer unexpected errors with a generic body:

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception):
        logger.exception("unhandled error")
        return JSONResponse({"detail": "Internal server error"}, status_code=500)
"#
        }
        _ => return None,
    })
}

fn django(id: &str) -> Option<&'static str> {
    Some(match id {
        "rate-limit.missing" | "rate-limit.spraying-unthrottled" => {
            r#"
Use django-axes and lock out by client address (all usernames together) as well as by username and address:

    # settings.py
    INSTALLED_APPS += ["axes"]
    MIDDLEWARE += ["axes.middleware.AxesMiddleware"]          # last
    AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    AXES_FAILURE_LIMIT = 5
    AXES_COOLOFF_TIME = timedelta(minutes=15)
    AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]
    AXES_HTTP_RESPONSE_CODE = 429

axes only sees attempts that go through `authenticate(request, username=..., password=...)` with the request passed in, so API views must call it that way. Locking on `["username"]` alone is per account only and does not stop spraying. Alternatively, django-ratelimit on the view:

    from django_ratelimit.decorators import ratelimit

    @ratelimit(key="ip", rate="5/m", method="POST", block=True)
    def login_view(request):
        ...

`block=True` raises `Ratelimited` (a 403 by default); turn it into a 429 with Retry-After in a middleware or `RATELIMIT_VIEW`. Both need a cache or database shared by all workers, and behind a proxy the client address must come from the real hop count (see rate-limit.ip-header-bypass).
"#
        }
        "rate-limit.ip-header-bypass" => {
            r#"
The limiter's key comes from a header the client can set. In Django, REMOTE_ADDR is the peer address; when reverse proxies sit in front, derive the client from the forwarding header using the real number of hops and your proxies' addresses, never by reading a raw header:

    # django-axes (settings.py)
    AXES_IPWARE_PROXY_COUNT = 1                     # proxies you run in front of Django
    AXES_IPWARE_PROXY_TRUSTED_IPS = ["10.0.0.5"]    # their addresses
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

With django-ratelimit, `key="ip"` reads REMOTE_ADDR; behind a proxy set `RATELIMIT_IP_META_KEY` to a function that takes the entry the right number of hops from the right end of the forwarding header and falls back to REMOTE_ADDR. Never take the left-most X-Forwarded-For value, which the client chooses, and make Django reachable only through the proxy.
"#
        }
        "rate-limit.no-retry-after" => {
            r#"
Give the throttle response a Retry-After header. With django-axes, point `AXES_LOCKOUT_CALLABLE` at a view that returns it:

    # settings.py: AXES_LOCKOUT_CALLABLE = "myapp.views.lockout"
    def lockout(request, *args, **kwargs):
        response = JsonResponse({"error": "Too many sign-in attempts"}, status=429)
        response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
        return response

With django-ratelimit, set the header in the view that handles `Ratelimited` (`RATELIMIT_VIEW`).
"#
        }
        "auth.user-enumeration.response" | "auth.verbose-error" => {
            r#"
Let Django's `authenticate()` decide and answer every failure with one message: it returns None alike for an unknown user, a wrong password and an inactive account.

    user = authenticate(request, username=username, password=password)
    if user is None:
        return JsonResponse({"error": "Invalid username or password"}, status=401)

Do not look the user up first (`User.objects.get(...)` raising "User does not exist") or return different texts for inactive accounts. With Django REST Framework, `raise AuthenticationFailed("Invalid username or password")`, or use the stock AuthTokenSerializer, which already gives one message for all failures.
"#
        }
        "auth.user-enumeration.timing" => {
            r#"
Django's ModelBackend already runs the password hasher once for an unknown user (`UserModel().set_password(password)`) so both paths take about the same time; keep signing in through `authenticate()`. Custom authentication backends should do the same:

    def authenticate(self, request, username=None, password=None, **kwargs):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            User().set_password(password)      # same hashing work as a real check
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

Also avoid views that check whether the user exists before calling `authenticate()`.
"#
        }
        "auth.debug-exposure" => {
            r#"
Set `DEBUG = False` in production settings (read it from the environment, defaulting to False) and list real hosts in `ALLOWED_HOSTS`. With DEBUG on, Django's technical 500 page shows the traceback, local variables and settings. Check that no debug toolbar or `runserver` is exposed, and configure error logging (ADMINS or a logging handler) instead.
"#
        }
        _ => return None,
    })
}

fn express(id: &str) -> Option<&'static str> {
    Some(match id {
        "rate-limit.missing" => {
            r#"
Add express-rate-limit to the sign-in route; its default key is `req.ip`, so it counts all usernames from one client together:

    const rateLimit = require('express-rate-limit');

    const loginLimiter = rateLimit({
      windowMs: 60 * 1000,
      limit: 5,
      standardHeaders: 'draft-7',     // RateLimit headers, and Retry-After on 429
      legacyHeaders: false,
      skipSuccessfulRequests: true,   // only failed sign-ins count
      // store: a Redis store when several instances run
    });

    app.post('/login', loginLimiter, loginHandler);

Behind a reverse proxy, set `app.set('trust proxy', 1)` with your real hop count so `req.ip` is the client and not the proxy (see rate-limit.ip-header-bypass).
"#
        }
        "rate-limit.spraying-unthrottled" => {
            r#"
The current limit follows the username (or the account), so one password tried across many accounts is never slowed. Keep it and put an express-rate-limit limiter keyed on the client address (the default key, `req.ip`) in front of it:

    const ipLimiter = rateLimit({ windowMs: 60 * 1000, limit: 5, standardHeaders: 'draft-7',
                                  legacyHeaders: false, skipSuccessfulRequests: true });
    const accountLimiter = rateLimit({ windowMs: 60 * 60 * 1000, limit: 20,
      keyGenerator: (req) => 'user:' + String(req.body?.username ?? '').toLowerCase() });

    app.post('/login', ipLimiter, accountLimiter, loginHandler);

Behind a reverse proxy, `app.set('trust proxy', <hop count>)` makes `req.ip` the real client.
"#
        }
        "rate-limit.ip-header-bypass" => {
            r#"
The limiter's key comes from a header the client can set. Leave express-rate-limit's keyGenerator at its default (`req.ip`) and tell Express how many proxies are in front of it:

    app.set('trust proxy', 1);      // number of proxies you run, or their addresses:
    // app.set('trust proxy', 'loopback, 10.0.0.5');

Express then reads the forwarding header from the right, skipping only the trusted hops. Never set 'trust proxy' to true blindly: it trusts every hop, so `req.ip` becomes the left-most, client-chosen entry (express-rate-limit warns about this with ERR_ERL_PERMISSIVE_TRUST_PROXY). Never write a keyGenerator that reads the X-Forwarded-For or X-Real-IP header yourself. Make the app reachable only through the proxy.
"#
        }
        "rate-limit.no-retry-after" => {
            r#"
express-rate-limit sends Retry-After with its 429 when `standardHeaders` (for example `'draft-7'`) or `legacyHeaders` is on. A hand-written throttle should set it itself:

    res.set('Retry-After', String(secondsLeft)).status(429).json({ error: 'Too many sign-in attempts' });
"#
        }
        "auth.user-enumeration.response"
        | "auth.verbose-error"
        | "auth.user-enumeration.timing" => {
            r#"
In Express, fail every sign-in the same way and with the same work: one 401 with one message, and a bcrypt comparison against a dummy hash when the user does not exist.

    const bcrypt = require('bcrypt');
    const crypto = require('crypto');
    const DUMMY_HASH = bcrypt.hashSync(crypto.randomBytes(16).toString('hex'), 12); // same cost as real hashes

    async function loginHandler(req, res) {
      const username = String(req.body?.username ?? '');
      const password = String(req.body?.password ?? '');
      const user = await User.findOne({ username });
      const ok = await bcrypt.compare(password, user ? user.passwordHash : DUMMY_HASH);
      if (!user || !ok || user.disabled) {
        return res.status(401).json({ error: 'Invalid username or password' });
      }
      // ... issue the session or token
    }

Do not answer 404 or "Incorrect password" or "Account disabled"; log the reason server-side. (Converting the inputs to strings also keeps an object such as {"$ne": null} out of the database query.)
"#
        }
        "auth.debug-exposure" => {
            r#"
Run with `NODE_ENV=production`: Express's default error handler then leaves the stack trace out. Register your own last error handler that never sends `err.stack`, and keep dev-only middleware such as `errorhandler` out of production:

    app.use((err, req, res, next) => {
      console.error(err);
      const status = err.status >= 400 && err.status < 500 ? err.status : 500;
      res.status(status).json({ error: status === 500 ? 'Internal server error' : 'Bad request' });
    });
"#
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 12] = [
        "auth.user-enumeration.reset",
        "auth.user-enumeration.registration",
        "rate-limit.reset-missing",
        "auth.lockout-denial",
        "rate-limit.missing",
        "rate-limit.spraying-unthrottled",
        "rate-limit.ip-header-bypass",
        "rate-limit.no-retry-after",
        "auth.user-enumeration.response",
        "auth.user-enumeration.timing",
        "auth.verbose-error",
        "auth.debug-exposure",
    ];

    const FRAMEWORKS: [Framework; 11] = [
        Framework::Flask,
        Framework::FastApi,
        Framework::Django,
        Framework::Express,
        Framework::Rails,
        Framework::Spring,
        Framework::Laravel,
        Framework::AspNet,
        Framework::Php,
        Framework::Rust,
        Framework::Unknown,
    ];

    fn code_lines(t: &str) -> impl Iterator<Item = &str> {
        t.lines().filter(|l| l.starts_with("    "))
    }

    /// No code line reads a client-address header, and every prose sentence that names one is
    /// a warning, not advice to key on it.
    fn never_recommends_header_key(t: &str) {
        for line in code_lines(t) {
            let l = line.to_ascii_lowercase();
            assert!(
                !l.contains("x-forwarded-for") && !l.contains("x-real-ip"),
                "code reads a client header: {line}"
            );
            assert!(
                !l.contains("access_route"),
                "code uses access_route: {line}"
            );
        }
        for sentence in t.split(['.', '\n']) {
            let s = sentence.to_ascii_lowercase();
            if s.contains("x-forwarded-for") || s.contains("x-real-ip") {
                assert!(
                    s.contains("never") || s.contains("client controls"),
                    "a mention that is not a warning: {sentence}"
                );
            }
        }
    }

    #[test]
    fn every_id_and_framework_has_text() {
        for id in IDS {
            for fw in FRAMEWORKS {
                let t = text(id, fw);
                assert!(t.len() > 80, "{id} {fw:?}: {t}");
                assert_eq!(t, t.trim());
            }
        }
    }

    #[test]
    fn unknown_id_gets_a_generic_sentence() {
        let t = text("no.such-check", Framework::Flask);
        assert!(t.contains("no.such-check"));
        assert!(!text("", Framework::Unknown).is_empty());
    }

    #[test]
    fn flask_proxy_advice_uses_proxyfix_not_the_header() {
        let t = text("rate-limit.ip-header-bypass", Framework::Flask);
        assert!(t.contains("ProxyFix(app.wsgi_app, x_for=1)"));
        assert!(t.contains("get_remote_address"));
        never_recommends_header_key(&t);
        let m = text("rate-limit.missing", Framework::Flask);
        assert!(m.contains("@limiter.limit(\"5 per minute\""));
        assert!(m.contains("get_remote_address"));
        let d = text("auth.debug-exposure", Framework::Flask);
        assert!(d.contains("debug=False"));
        let e = text("auth.user-enumeration.timing", Framework::Flask);
        assert!(e.contains("DUMMY_HASH") && e.contains("bcrypt.checkpw"));
    }

    #[test]
    fn no_text_keys_on_a_client_header() {
        for id in IDS {
            for fw in FRAMEWORKS {
                never_recommends_header_key(&text(id, fw));
            }
        }
    }

    #[test]
    fn express_mentions_trust_proxy_with_a_hop_count() {
        let t = text("rate-limit.ip-header-bypass", Framework::Express);
        assert!(t.contains("app.set('trust proxy', 1)"));
        assert!(!t.contains("app.set('trust proxy', true)"));
        assert!(text("rate-limit.missing", Framework::Express).contains("express-rate-limit"));
        let e = text("auth.user-enumeration.timing", Framework::Express);
        assert!(e.contains("bcrypt.compare") && e.contains("DUMMY_HASH"));
        assert!(text("auth.debug-exposure", Framework::Express).contains("NODE_ENV=production"));
    }

    #[test]
    fn django_names_its_tools() {
        let t = text("rate-limit.missing", Framework::Django);
        assert!(t.contains("django-axes") && t.contains("django-ratelimit"));
        assert!(t.contains("\"ip_address\""));
        assert!(t.contains("@ratelimit(key=\"ip\", rate=\"5/m\""));
        assert!(text("rate-limit.ip-header-bypass", Framework::Django)
            .contains("AXES_IPWARE_PROXY_COUNT"));
        assert!(text("auth.debug-exposure", Framework::Django).contains("DEBUG = False"));
        assert!(text("auth.user-enumeration.timing", Framework::Django).contains("ModelBackend"));
    }

    #[test]
    fn fastapi_names_its_tools() {
        assert!(text("rate-limit.missing", Framework::FastApi).contains("slowapi"));
        let p = text("rate-limit.ip-header-bypass", Framework::FastApi);
        assert!(p.contains("--proxy-headers") && p.contains("--forwarded-allow-ips"));
        let v = text("auth.verbose-error", Framework::FastApi);
        assert!(v.contains("HTTPException(status_code=401"));
        assert!(text("auth.debug-exposure", Framework::FastApi).contains("debug=False"));
    }

    #[test]
    fn other_frameworks_get_their_sentence() {
        assert!(text("rate-limit.missing", Framework::Rails).contains("rack-attack"));
        assert!(text("rate-limit.missing", Framework::Laravel).contains("throttle"));
        assert!(text("rate-limit.missing", Framework::AspNet).contains("AddRateLimiter"));
        assert!(text("rate-limit.missing", Framework::Spring).contains("Bucket4j"));
        let u = text("rate-limit.missing", Framework::Unknown);
        assert!(u.contains("429") && u.contains("Retry-After"));
    }

    #[test]
    fn generic_texts_are_framework_neutral() {
        for id in IDS {
            let t = text(id, Framework::Unknown);
            for word in ["Flask", "Django", "Express", "FastAPI", "Rails"] {
                assert!(!t.contains(word), "{id} mentions {word}");
            }
        }
    }
}
