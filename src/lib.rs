//! kubectl-gitops: an offline linter for Argo CD GitOps repositories.
//!
//! Pipeline (each arrow a plain function call on owned data):
//!
//! ```text
//! walk ──► load ──► model ──► engine ──► suppress ──► report
//! ```
//!
//! [`walk`] finds files, [`load`] parses them into span trees and objects, [`model`]
//! indexes them, [`engine`] runs native ([`rules`]) and declarative rules built on the
//! pure Argo CD semantics in [`argo`], and [`report`] renders the diagnostics.

pub mod argo;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod live;
pub mod load;
pub mod model;
pub mod progress;
pub mod render;
pub mod report;
pub mod rules;
pub mod scope;
pub mod source;
pub mod walk;
