//! (being written) APP011 duplicate-application.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;

pub fn check(_cx: &Ctx<'_>, _out: &mut Vec<Diagnostic>) {}
