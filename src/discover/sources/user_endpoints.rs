//! `--endpoint PATH`: the paths the tester named, each a lead of its own, and their pages read.

use async_trait::async_trait;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::Lead;
use crate::report::SurfaceSource;

pub struct UserEndpoints;

#[async_trait(?Send)]
impl Source for UserEndpoints {
    fn name(&self) -> &'static str {
        "--endpoint"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        for e in cx.scanner.cfg.endpoints.clone() {
            // An absolute path is taken at the origin as given; a relative one under the base.
            let url = if e.starts_with('/') {
                cx.scanner.cfg.target.join(&e).ok()
            } else {
                cx.under_base(&e)
            };
            let Some(url) = url else { continue };
            cx.push(Lead::Post {
                url: url.clone(),
                source: SurfaceSource::User,
            });
            match cx.fetch(&url).await {
                Ok(Some(page)) if !page.seen_before => {
                    let resp = page.resp.clone();
                    cx.inspect(&page.url, &resp, SurfaceSource::User);
                }
                Ok(_) => {}
                Err(_) => return,
            }
        }
    }
}
