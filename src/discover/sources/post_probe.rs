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
        let missing = cx.missing.clone();
        for url in missing.into_iter().take(MAX_POSTS) {
            if !cx.leads.is_empty() {
                break;
            }
            let req = Request::post(url.clone(), Body::json(&serde_json::json!({})));
            match cx.send(&req).await {
                Ok(Some(resp)) => {
                    cx.fp.add(&resp);
                    if !matches!(resp.status, 404 | 405 | 410 | 501)
                        && !cx.is_catch_all_answer(&url, &resp)
                    {
                        cx.push(Lead::Post {
                            url,
                            source: SurfaceSource::WellKnownPath,
                        });
                    }
                }
                Ok(None) => {}
                Err(_) => break,
            }
        }
    }
}
