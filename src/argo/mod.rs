//! Argo CD's behaviour as small pure functions, with no knowledge of diagnostics.
//! Rules call these and turn their results into findings; when Argo CD changes, one
//! file here changes.

pub mod annotations;
pub mod appset;
pub mod dependencies;
pub mod duration;
pub mod glob;
pub mod gotemplate;
pub mod hooks;
pub mod ignore_differences;
pub mod kinds;
pub mod path_match;
pub mod project;
pub mod project_validate;
pub mod repo_url;
pub mod resource_options;
pub mod schema;
pub mod sync_options;
pub mod sync_order;
