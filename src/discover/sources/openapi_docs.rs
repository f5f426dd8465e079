//! OpenAPI / Swagger documents (JSON or YAML) at the usual paths under the base URL: every
//! operation that takes an identifier and a password becomes a lead with its declared shape.

use async_trait::async_trait;

use super::Source;
use crate::discover::context::Discovering;
use crate::discover::openapi;
use crate::discover::Lead;
use crate::http::Request;
use crate::report::{Framework, SurfaceKind, SurfaceSource};
use crate::surface::{Identifier, Surface};

pub struct OpenApiDocs;

#[async_trait(?Send)]
impl Source for OpenApiDocs {
    fn name(&self) -> &'static str {
        "openapi"
    }

    async fn run(&self, cx: &mut Discovering<'_>) {
        let urls: Vec<_> = openapi::DOC_PATHS
            .iter()
            .filter_map(|p| cx.under_base(p))
            .collect();
        // A chunk of paths at a time, together; the first document found ends the search.
        for chunk in urls.chunks(cx.scanner.engine.concurrency()) {
            let reqs: Vec<Request> = chunk.iter().map(|u| Request::get(u.clone())).collect();
            let answers = cx.send_all(&reqs).await;
            for (url, answer) in chunk.iter().zip(answers) {
                // The first failure ends the search: a server that resets one document path
                // resets them all.
                let Ok(Some(resp)) = answer else {
                    return;
                };
                if read_document(cx, url, &resp) {
                    return;
                }
            }
        }
    }
}

/// Read one answer as an OpenAPI document; true when it was one (its sign-ins become leads).
fn read_document(cx: &mut Discovering<'_>, url: &url::Url, resp: &crate::http::Response) -> bool {
    cx.fp.add(resp);
    if resp.status != 200 || cx.is_catch_all_answer(url, resp) {
        return false;
    }
    let Ok(info) = openapi::parse(&resp.text(), url) else {
        return false;
    };
    cx.scanner
        .progress
        .detail(&format!("read OpenAPI document {url}"));
    cx.openapi = Some(url.clone());
    cx.examples.extend(info.example_accounts.iter().cloned());
    for op in &info.flow_operations {
        if cx.scanner.engine.same_origin(&op.url) {
            cx.push_flow(crate::discover::flows::from_openapi(op));
        }
    }
    for op in info.operations {
        if !cx.scanner.engine.same_origin(&op.url) {
            continue;
        }
        let kind = match (op.oauth2_password, op.encoding) {
            (_, openapi::BodyEncoding::Json) => SurfaceKind::Json,
            (true, openapi::BodyEncoding::Form) => SurfaceKind::OAuth2Password,
            (false, openapi::BodyEncoding::Form) => SurfaceKind::Form,
        };
        let identifier = if op.username_is_email {
            Identifier::email()
        } else {
            Identifier::from_field(&op.username_field, None)
        };
        cx.push(Lead::Known(Box::new(Surface {
            product: None,
            headers: Vec::new(),
            csrf: None,
            prior: None,
            graphql: None,
            method: op.method.clone(),
            url: op.url.clone(),
            kind,
            username_field: op.username_field.clone(),
            password_field: op.password_field.clone(),
            extra: op.extra_fields.clone(),
            form_page: None,
            has_hidden: false,
            source: SurfaceSource::OpenApi,
            framework: Framework::Unknown,
            identifier,
            flow: crate::report::Flow::SignIn,
        })));
    }
    true
}
