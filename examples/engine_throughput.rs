//! Raw request throughput of keyhole's HTTP engine, for `bench/run`.
//!
//!     cargo run --release --example engine_throughput -- URL [--requests N] [--warmup N] [--json BODY]
//!
//! Sends N requests one after another through [`keyhole::http::Engine::send`] (the one place a
//! scan sends requests from: budget, origin check, User-Agent, timeout and body cap included),
//! so they share one keep-alive connection, exactly as `wrk -t1 -c1` does. With `--json BODY`
//! each request is a POST of BODY as `application/json`, otherwise a GET. Prints one JSON
//! object: requests, seconds, requests per second, and the statuses seen.
//!
//! Loopback only: the URL must point at 127.0.0.1, ::1 or localhost.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use keyhole::http::{Body, Engine, EngineConfig, Request};
use url::Url;

struct Args {
    url: Url,
    requests: u32,
    warmup: u32,
    json: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut url = None;
    let mut requests = 20_000u32;
    let mut warmup = 200u32;
    let mut json = None;
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--requests" => {
                requests = value("--requests")?
                    .parse()
                    .map_err(|e| format!("--requests: {e}"))?
            }
            "--warmup" => {
                warmup = value("--warmup")?
                    .parse()
                    .map_err(|e| format!("--warmup: {e}"))?
            }
            "--json" => json = Some(value("--json")?),
            _ if url.is_none() && !a.starts_with('-') => {
                url = Some(Url::parse(&a).map_err(|e| format!("bad URL {a}: {e}"))?)
            }
            _ => return Err(format!("unexpected argument {a}")),
        }
    }
    let url =
        url.ok_or("usage: engine_throughput URL [--requests N] [--warmup N] [--json BODY]")?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if !loopback {
        return Err(format!("{url} is not a loopback address"));
    }
    if requests == 0 {
        return Err("--requests must be at least 1".into());
    }
    Ok(Args {
        url,
        requests,
        warmup,
        json,
    })
}

fn request(args: &Args) -> Request {
    match &args.json {
        Some(body) => Request::post(
            args.url.clone(),
            Body::raw("application/json", body.as_bytes()),
        ),
        None => Request::get(args.url.clone()),
    }
}

async fn run(args: Args) -> Result<String, String> {
    let engine = Engine::new(
        &args.url,
        EngineConfig {
            max_requests: args.requests.saturating_add(args.warmup),
            concurrency: 1,
            timeout: Duration::from_secs(10),
            deadline: Instant::now() + Duration::from_secs(600),
            insecure: false,
            http2_prior_knowledge: false,
        },
    )
    .map_err(|e| e.to_string())?;
    let req = request(&args);
    for _ in 0..args.warmup {
        engine.send(&req, None).await.map_err(|e| e.to_string())?;
    }
    let mut statuses: BTreeMap<u16, u32> = BTreeMap::new();
    let started = Instant::now();
    for _ in 0..args.requests {
        let resp = engine.send(&req, None).await.map_err(|e| e.to_string())?;
        *statuses.entry(resp.status).or_default() += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let statuses: serde_json::Map<String, serde_json::Value> = statuses
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect();
    Ok(serde_json::json!({
        "requests": args.requests,
        "seconds": secs,
        "rps": f64::from(args.requests) / secs,
        "statuses": statuses,
    })
    .to_string())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("engine_throughput: {e}");
            return ExitCode::from(2);
        }
    };
    // The same runtime keyhole's CLI builds for a scan.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("engine_throughput: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("engine_throughput: {e}");
            ExitCode::from(1)
        }
    }
}
