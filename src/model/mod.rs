//! The repository model: every object found, indexed by kind, namespace and name, with
//! typed views of the Argo CD kinds.

pub mod app_project;
pub mod application;
pub mod application_set;
pub mod apps;
pub mod cluster;
pub mod deps;
pub mod generated;
pub mod identity;
pub mod ignores;
mod object;
pub mod rendered;
pub mod repo;

pub use apps::Model;
pub use object::{GeneratedFrom, Object, RenderedFrom, Trace};
pub use repo::Repo;
