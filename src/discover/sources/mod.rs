//! Discovery sources. Each is one unit behind [`Source`]: it looks somewhere (paths the user
//! named, an OpenAPI document, well-known paths, pages linked as sign-in pages, script bundles,
//! POSTs to routes that hide from GET) and adds leads to the shared [`Discovering`] state. Pages
//! any source fetches are read by the page readers (`html_pages`, `challenge`, `javascript`).
//! Adding a source touches its own file plus one line in [`registry`].

pub mod browse;
pub mod catalog;
pub mod challenge;
pub mod flow_paths;
pub mod graphql;
pub mod html_pages;
pub mod javascript;
pub mod openapi_docs;
pub mod post_probe;
pub mod user_endpoints;
pub mod well_known;

use async_trait::async_trait;

use super::context::Discovering;

/// One place discovery looks for sign-in surfaces.
#[async_trait(?Send)]
pub trait Source {
    /// A short name for progress lines.
    fn name(&self) -> &'static str;
    /// Look, adding leads to `cx`. Budget exhaustion is recorded in `cx.exhausted`.
    async fn run(&self, cx: &mut Discovering<'_>);
}

/// Every source, in the order they run (after the start page has been read).
pub fn registry() -> Vec<Box<dyn Source>> {
    vec![
        Box::new(user_endpoints::UserEndpoints),
        Box::new(openapi_docs::OpenApiDocs),
        Box::new(well_known::WellKnownPaths),
        Box::new(html_pages::LinkedPages),
        Box::new(browse::Browse),
        Box::new(catalog::ProductDoors),
        Box::new(javascript::ScriptBundles),
        Box::new(graphql::GraphqlEndpoints),
        Box::new(challenge::ProtectionSpaces),
        Box::new(post_probe::PostProbe),
        Box::new(flow_paths::FlowPaths),
    ]
}
