//! Discovery: find the API's sign-in surfaces.

pub mod html;
pub mod openapi;
