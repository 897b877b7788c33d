//! (being written) APP009 missing-source-ref.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::model::Object;

pub fn check(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
