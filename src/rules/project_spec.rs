//! (being written) PRJ007–PRJ011 and SEC004: checks on one AppProject.

use crate::diagnostic::Diagnostic;
use crate::engine::Ctx;
use crate::model::Object;

pub fn check_role_policies(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
pub fn check_spec(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
pub fn check_deny_only(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
pub fn check_ineffective_patterns(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
pub fn check_empty_namespace_whitelist(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
pub fn check_wide_open(_cx: &Ctx<'_>, _o: &Object, _out: &mut Vec<Diagnostic>) {}
