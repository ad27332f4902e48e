//! Renderers of the report model ([`crate::sections`]): each format escapes every piece of
//! text in one place.

pub mod html;
pub mod markdown;
mod svg;
