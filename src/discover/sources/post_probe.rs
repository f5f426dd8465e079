//! Routers that answer 404 to a GET on a POST-only route (Express, Rails, single-page apps whose
//! API sits behind the fallback page): when no other source found a lead, ask the well-known
//! paths with POST, in their order, until one answers like a route.

use async_trait::async_trait;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::Lead;
use crate::http::{Body, Request};
use crate::report::SurfaceSource;

/// Most POST probes.
const MAX_POSTS: usize = 24;

pub struct PostProbe;

#[async_trait(?Send)]
impl Source for PostProbe {
    fn name(&self) -> &'static str {
        "POST probe"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        if !cx.leads.is_empty() {
            return;
        }
        let missing: Vec<_> = cx.missing.iter().take(MAX_POSTS).cloned().collect();
        // A chunk at a time, together, in the paths' order; the first route ends it.
        for chunk in missing.chunks(cx.scanner.engine.concurrency()) {
            if !cx.leads.is_empty() {
                break;
            }
            let reqs: Vec<Request> = chunk
                .iter()
                .map(|u| Request::post(u.clone(), Body::json(&serde_json::json!({}))))
                .collect();
            for (url, answer) in chunk.iter().zip(cx.send_all(&reqs).await) {
                match answer {
                    Ok(Some(resp)) => {
                        cx.fp.add(&resp);
                        if !matches!(resp.status, 404 | 405 | 410 | 501)
                            && !cx.is_catch_all_answer(url, &resp)
                        {
                            // The first route in the paths' order, as if asked one by one
                            // (aliases of one handler are one surface).
                            cx.push(Lead::Post {
                                url: url.clone(),
                                source: SurfaceSource::WellKnownPath,
                            });
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(_) => return,
                }
            }
        }
    }
}
