//! The function map Argo CD gives its templates: Go's builtins, sprig's
//! `GenericFuncMap` (v3.3) without `env`, `expandenv` and `getHostByName`, and Argo CD's
//! `normalize`, `slugify`, `toYaml`, `fromYaml`, `fromYamlArray` and `tpl`.
//!
//! Each function declares its Go parameter types, so argument checking gives Go's
//! errors (`wrong number of args for upper: want 1 got 2`, `wrong type for value;
//! expected string; got float64`). Functions that cannot be evaluated offline are
//! registered (so parsing accepts them, as Go does) and report `Unsupported` when called.

use super::TemplateError;
use super::builtins as b;
use super::exec::State;
use super::sprig as s;
use super::value::{Slot, Val};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A Go parameter type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum P {
    /// `interface {}`
    Any,
    Str,
    Int,
    Float,
    Bool,
    /// `reflect.Value` (the builtins that inspect their arguments).
    Rv,
    /// `map[string]interface {}`
    MapAny,
}

impl P {
    pub fn go_name(self) -> &'static str {
        match self {
            P::Any => "interface {}",
            P::Str => "string",
            P::Int => "int",
            P::Float => "float64",
            P::Bool => "bool",
            P::Rv => "reflect.Value",
            P::MapAny => "map[string]interface {}",
        }
    }

    /// Whether a value of `v`'s type is assignable to this parameter type.
    pub fn accepts(self, v: &Val) -> bool {
        match self {
            P::Any | P::Rv => true,
            P::Str => matches!(v, Val::Str(_)),
            P::Int => matches!(v, Val::Int(_)),
            P::Float => matches!(v, Val::Float(_)),
            P::Bool => matches!(v, Val::Bool(_)),
            P::MapAny => match v {
                Val::Map(m) => m.borrow().elem == super::value::Ty::Any,
                _ => false,
            },
        }
    }
}

/// How a function call failed.
pub enum FnError {
    /// The function returned (or panicked with) this error: Go reports `error calling
    /// NAME: MESSAGE`.
    Go(String),
    /// This engine cannot evaluate the function.
    Unsupported(String),
    /// A resource limit.
    Limit(String),
    /// An error of a nested template (`tpl`) that is not a plain execution error.
    Nested(Box<TemplateError>),
}

pub type Imp = fn(&mut State<'_>, &[Slot]) -> Result<Val, FnError>;

pub struct Func {
    pub name: &'static str,
    pub params: &'static [P],
    pub variadic: Option<P>,
    /// One of Go's builtins (and/or short-circuit only as builtins).
    pub builtin: bool,
    pub imp: Imp,
}

macro_rules! func {
    ($name:literal, [$($p:ident),*], ...$v:ident, $imp:expr) => {
        Func { name: $name, params: &[$(P::$p),*], variadic: Some(P::$v), builtin: false, imp: $imp }
    };
    ($name:literal, [$($p:ident),*], $imp:expr) => {
        Func { name: $name, params: &[$(P::$p),*], variadic: None, builtin: false, imp: $imp }
    };
}

macro_rules! builtin {
    ($name:literal, [$($p:ident),*], ...$v:ident, $imp:expr) => {
        Func { name: $name, params: &[$(P::$p),*], variadic: Some(P::$v), builtin: true, imp: $imp }
    };
    ($name:literal, [$($p:ident),*], $imp:expr) => {
        Func { name: $name, params: &[$(P::$p),*], variadic: None, builtin: true, imp: $imp }
    };
}

/// Go's builtins (Go's `slice` is left out: sprig's `slice` shadows it in Argo CD).
static BUILTINS: &[Func] = &[
    builtin!("and", [Rv], ...Rv, b::and_or),
    builtin!("call", [Rv], ...Rv, b::call),
    builtin!("html", [], ...Any, b::html),
    builtin!("index", [Rv], ...Rv, b::index),
    builtin!("js", [], ...Any, b::js),
    builtin!("len", [Rv], b::len),
    builtin!("not", [Rv], b::not),
    builtin!("or", [Rv], ...Rv, b::and_or),
    builtin!("print", [], ...Any, b::print),
    builtin!("printf", [Str], ...Any, b::printf),
    builtin!("println", [], ...Any, b::println),
    builtin!("urlquery", [], ...Any, b::urlquery),
    builtin!("eq", [Rv], ...Rv, b::eq),
    builtin!("ge", [Rv, Rv], b::ge),
    builtin!("gt", [Rv, Rv], b::gt),
    builtin!("le", [Rv, Rv], b::le),
    builtin!("lt", [Rv, Rv], b::lt),
    builtin!("ne", [Rv, Rv], b::ne),
];

/// sprig v3.3 `GenericFuncMap` minus `env`, `expandenv`, `getHostByName`, plus Argo CD's.
static USER: &[Func] = &[
    func!("hello", [], s::hello),
    // Dates: not deterministic or not implemented.
    func!("ago", [Any], s::unsupported_time),
    func!("date", [Str, Any], s::unsupported_time),
    func!("date_in_zone", [Str, Any, Str], s::unsupported_time),
    func!("date_modify", [Str, Any], s::unsupported_time),
    func!("dateInZone", [Str, Any, Str], s::unsupported_time),
    func!("dateModify", [Str, Any], s::unsupported_time),
    func!("duration", [Any], s::unsupported_time),
    func!("durationRound", [Any], s::unsupported_time),
    func!("htmlDate", [Any], s::unsupported_time),
    func!("htmlDateInZone", [Any, Str], s::unsupported_time),
    func!("must_date_modify", [Str, Any], s::unsupported_time),
    func!("mustDateModify", [Str, Any], s::unsupported_time),
    func!("mustToDate", [Str, Str], s::unsupported_time),
    func!("now", [], s::unsupported_time),
    func!("toDate", [Str, Str], s::unsupported_time),
    func!("unixEpoch", [Any], s::unsupported_time),
    // Strings.
    func!("abbrev", [Int, Str], s::abbrev),
    func!("abbrevboth", [Int, Int, Str], s::abbrevboth),
    func!("trunc", [Int, Str], s::trunc),
    func!("trim", [Str], s::trim),
    func!("upper", [Str], s::upper),
    func!("lower", [Str], s::lower),
    func!("title", [Str], s::title),
    func!("untitle", [Str], s::untitle),
    func!("substr", [Int, Int, Str], s::substr),
    func!("repeat", [Int, Str], s::repeat),
    func!("trimall", [Str, Str], s::trim_all),
    func!("trimAll", [Str, Str], s::trim_all),
    func!("trimSuffix", [Str, Str], s::trim_suffix),
    func!("trimPrefix", [Str, Str], s::trim_prefix),
    func!("nospace", [Str], s::nospace),
    func!("initials", [Str], s::initials),
    func!("randAlphaNum", [Int], s::unsupported_random),
    func!("randAlpha", [Int], s::unsupported_random),
    func!("randAscii", [Int], s::unsupported_random),
    func!("randNumeric", [Int], s::unsupported_random),
    func!("swapcase", [Str], s::swapcase),
    func!("shuffle", [Str], s::unsupported_random),
    func!("snakecase", [Str], s::snakecase),
    func!("camelcase", [Str], s::camelcase),
    func!("kebabcase", [Str], s::kebabcase),
    func!("wrap", [Int, Str], s::unsupported),
    func!("wrapWith", [Int, Str, Str], s::unsupported),
    func!("contains", [Str, Str], s::contains),
    func!("hasPrefix", [Str, Str], s::has_prefix),
    func!("hasSuffix", [Str, Str], s::has_suffix),
    func!("quote", [], ...Any, s::quote),
    func!("squote", [], ...Any, s::squote),
    func!("cat", [], ...Any, s::cat),
    func!("indent", [Int, Str], s::indent),
    func!("nindent", [Int, Str], s::nindent),
    func!("replace", [Str, Str, Str], s::replace),
    func!("plural", [Str, Str, Int], s::plural),
    func!("sha1sum", [Str], s::sha1sum),
    func!("sha256sum", [Str], s::sha256sum),
    func!("sha512sum", [Str], s::sha512sum),
    func!("adler32sum", [Str], s::adler32sum),
    func!("toString", [Any], s::to_string),
    // Conversions and numbers.
    func!("atoi", [Str], s::atoi),
    func!("int64", [Any], s::int64),
    func!("int", [Any], s::int),
    func!("float64", [Any], s::float64),
    func!("seq", [], ...Int, s::seq),
    func!("toDecimal", [Any], s::to_decimal),
    func!("split", [Str, Str], s::split),
    func!("splitList", [Str, Str], s::split_list),
    func!("splitn", [Str, Int, Str], s::splitn),
    func!("toStrings", [Any], s::to_strings),
    func!("until", [Int], s::until),
    func!("untilStep", [Int, Int, Int], s::until_step),
    func!("add1", [Any], s::add1),
    func!("add", [], ...Any, s::add),
    func!("sub", [Any, Any], s::sub),
    func!("div", [Any, Any], s::div),
    func!("mod", [Any, Any], s::modulo),
    func!("mul", [Any], ...Any, s::mul),
    func!("randInt", [Int, Int], s::unsupported_random),
    func!("add1f", [Any], s::add1f),
    func!("addf", [], ...Any, s::addf),
    func!("subf", [Any], ...Any, s::subf),
    func!("divf", [Any], ...Any, s::divf),
    func!("mulf", [Any], ...Any, s::mulf),
    func!("biggest", [Any], ...Any, s::max),
    func!("max", [Any], ...Any, s::max),
    func!("min", [Any], ...Any, s::min),
    func!("maxf", [Any], ...Any, s::maxf),
    func!("minf", [Any], ...Any, s::minf),
    func!("ceil", [Any], s::ceil),
    func!("floor", [Any], s::floor),
    func!("round", [Any, Int], ...Float, s::round),
    func!("join", [Str, Any], s::join),
    func!("sortAlpha", [Any], s::sort_alpha),
    // Defaults and encodings.
    func!("default", [Any], ...Any, s::default),
    func!("empty", [Any], s::empty),
    func!("coalesce", [], ...Any, s::coalesce),
    func!("all", [], ...Any, s::all),
    func!("any", [], ...Any, s::any),
    func!("compact", [Any], s::compact),
    func!("mustCompact", [Any], s::compact),
    func!("fromJson", [Str], s::from_json),
    func!("toJson", [Any], s::to_json),
    func!("toPrettyJson", [Any], s::to_pretty_json),
    func!("toRawJson", [Any], s::to_raw_json),
    func!("mustFromJson", [Str], s::must_from_json),
    func!("mustToJson", [Any], s::must_to_json),
    func!("mustToPrettyJson", [Any], s::must_to_pretty_json),
    func!("mustToRawJson", [Any], s::must_to_raw_json),
    func!("ternary", [Any, Any, Bool], s::ternary),
    func!("deepCopy", [Any], s::deep_copy),
    func!("mustDeepCopy", [Any], s::deep_copy),
    // Reflection.
    func!("typeOf", [Any], s::type_of),
    func!("typeIs", [Str, Any], s::type_is),
    func!("typeIsLike", [Str, Any], s::type_is_like),
    func!("kindOf", [Any], s::kind_of),
    func!("kindIs", [Str, Any], s::kind_is),
    func!("deepEqual", [Any, Any], s::deep_equal),
    // Paths.
    func!("base", [Str], s::path_base),
    func!("dir", [Str], s::path_dir),
    func!("clean", [Str], s::path_clean),
    func!("ext", [Str], s::path_ext),
    func!("isAbs", [Str], s::path_is_abs),
    func!("osBase", [Str], s::path_base),
    func!("osClean", [Str], s::path_clean),
    func!("osDir", [Str], s::path_dir),
    func!("osExt", [Str], s::path_ext),
    func!("osIsAbs", [Str], s::path_is_abs),
    func!("b64enc", [Str], s::b64enc),
    func!("b64dec", [Str], s::b64dec),
    func!("b32enc", [Str], s::b32enc),
    func!("b32dec", [Str], s::b32dec),
    // Data structures.
    func!("tuple", [], ...Any, s::list),
    func!("list", [], ...Any, s::list),
    func!("dict", [], ...Any, s::dict),
    func!("get", [MapAny, Str], s::get),
    func!("set", [MapAny, Str, Any], s::set),
    func!("unset", [MapAny, Str], s::unset),
    func!("hasKey", [MapAny, Str], s::has_key),
    func!("pluck", [Str], ...MapAny, s::pluck),
    func!("keys", [], ...MapAny, s::keys),
    func!("pick", [MapAny], ...Str, s::pick),
    func!("omit", [MapAny], ...Str, s::omit),
    func!("merge", [MapAny], ...MapAny, s::merge),
    func!("mergeOverwrite", [MapAny], ...MapAny, s::merge_overwrite),
    func!("mustMerge", [MapAny], ...MapAny, s::merge),
    func!("mustMergeOverwrite", [MapAny], ...MapAny, s::merge_overwrite),
    func!("values", [MapAny], s::values),
    func!("append", [Any, Any], s::push),
    func!("push", [Any, Any], s::push),
    func!("mustAppend", [Any, Any], s::push),
    func!("mustPush", [Any, Any], s::push),
    func!("prepend", [Any, Any], s::prepend),
    func!("mustPrepend", [Any, Any], s::prepend),
    func!("first", [Any], s::first),
    func!("mustFirst", [Any], s::first),
    func!("rest", [Any], s::rest),
    func!("mustRest", [Any], s::rest),
    func!("last", [Any], s::last),
    func!("mustLast", [Any], s::last),
    func!("initial", [Any], s::initial),
    func!("mustInitial", [Any], s::initial),
    func!("reverse", [Any], s::reverse),
    func!("mustReverse", [Any], s::reverse),
    func!("uniq", [Any], s::uniq),
    func!("mustUniq", [Any], s::uniq),
    func!("without", [Any], ...Any, s::without),
    func!("mustWithout", [Any], ...Any, s::without),
    func!("has", [Any, Any], s::has),
    func!("mustHas", [Any, Any], s::has),
    func!("slice", [Any], ...Any, s::slice),
    func!("mustSlice", [Any], ...Any, s::slice),
    func!("concat", [], ...Any, s::concat),
    func!("dig", [], ...Any, s::dig),
    func!("chunk", [Int, Any], s::chunk),
    func!("mustChunk", [Int, Any], s::chunk),
    // Crypto, UUIDs, semver, URLs: not deterministic or not implemented.
    func!("bcrypt", [Str], s::unsupported_random),
    func!("htpasswd", [Str, Str], s::unsupported_random),
    func!("genPrivateKey", [Str], s::unsupported_random),
    func!("derivePassword", [Any, Str, Str, Str, Str], s::unsupported),
    func!("buildCustomCert", [Str, Str], s::unsupported),
    func!("genCA", [Str, Int], s::unsupported_random),
    func!("genCAWithKey", [Str, Int, Str], s::unsupported_random),
    func!(
        "genSelfSignedCert",
        [Str, Any, Any, Int],
        s::unsupported_random
    ),
    func!(
        "genSelfSignedCertWithKey",
        [Str, Any, Any, Int, Str],
        s::unsupported_random
    ),
    func!(
        "genSignedCert",
        [Str, Any, Any, Int, Any],
        s::unsupported_random
    ),
    func!(
        "genSignedCertWithKey",
        [Str, Any, Any, Int, Any, Str],
        s::unsupported_random
    ),
    func!("encryptAES", [Str, Str], s::unsupported_random),
    func!("decryptAES", [Str, Str], s::unsupported),
    func!("randBytes", [Int], s::unsupported_random),
    func!("uuidv4", [], s::unsupported_random),
    func!("semver", [Str], s::unsupported),
    func!("semverCompare", [Str, Str], s::unsupported),
    func!("fail", [Str], s::fail),
    // Regular expressions.
    func!("regexMatch", [Str, Str], s::regex_match),
    func!("mustRegexMatch", [Str, Str], s::must_regex_match),
    func!("regexFindAll", [Str, Str, Int], s::regex_find_all),
    func!("mustRegexFindAll", [Str, Str, Int], s::must_regex_find_all),
    func!("regexFind", [Str, Str], s::regex_find),
    func!("mustRegexFind", [Str, Str], s::must_regex_find),
    func!("regexReplaceAll", [Str, Str, Str], s::regex_replace_all),
    func!(
        "mustRegexReplaceAll",
        [Str, Str, Str],
        s::must_regex_replace_all
    ),
    func!(
        "regexReplaceAllLiteral",
        [Str, Str, Str],
        s::regex_replace_all_literal
    ),
    func!(
        "mustRegexReplaceAllLiteral",
        [Str, Str, Str],
        s::must_regex_replace_all_literal
    ),
    func!("regexSplit", [Str, Str, Int], s::regex_split),
    func!("mustRegexSplit", [Str, Str, Int], s::must_regex_split),
    func!("regexQuoteMeta", [Str], s::regex_quote_meta),
    func!("urlParse", [Str], s::unsupported),
    func!("urlJoin", [MapAny], s::unsupported),
    // Argo CD (applicationset/utils).
    func!("normalize", [Str], s::normalize),
    func!("slugify", [], ...Any, s::slugify),
    func!("toYaml", [Any], s::to_yaml),
    func!("fromYaml", [Str], s::from_yaml),
    func!("fromYamlArray", [Str], s::from_yaml_array),
    func!("tpl", [Str, Any], s::tpl),
];

fn table() -> &'static HashMap<&'static str, &'static Func> {
    static TABLE: OnceLock<HashMap<&'static str, &'static Func>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for f in BUILTINS {
            m.insert(f.name, f);
        }
        // User functions shadow builtins, as in Go's findFunction.
        for f in USER {
            m.insert(f.name, f);
        }
        m
    })
}

pub fn lookup(name: &str) -> Option<&'static Func> {
    table().get(name).copied()
}

/// Whether `name` is a function Argo CD's templates can call (Go checks this when
/// parsing: `function "x" not defined`).
pub fn is_function(name: &str) -> bool {
    table().contains_key(name)
}

/// Every function name available to ApplicationSet templates, sorted.
pub fn function_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = table().keys().copied().collect();
    v.sort_unstable();
    v
}

// ---- argument accessors (types are validated before a function runs) -----------------

pub fn arg_str(a: &[Slot], i: usize) -> &str {
    a.get(i).and_then(|s| s.val.as_str()).unwrap_or("")
}

pub fn arg_int(a: &[Slot], i: usize) -> i64 {
    match a.get(i).map(|s| &s.val) {
        Some(Val::Int(n) | Val::Int64(n)) => *n,
        _ => 0,
    }
}

pub fn arg_val(a: &[Slot], i: usize) -> Val {
    a.get(i).map(|s| s.val.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_functions_are_not_defined() {
        for name in ["env", "expandenv", "getHostByName"] {
            assert!(!is_function(name), "{name}");
        }
        for name in [
            "upper",
            "normalize",
            "slugify",
            "toYaml",
            "index",
            "eq",
            "tpl",
        ] {
            assert!(is_function(name), "{name}");
        }
    }

    #[test]
    fn sprig_slice_shadows_the_builtin() {
        let f = lookup("slice").map(|f| f.builtin);
        assert_eq!(f, Some(false));
        assert_eq!(lookup("and").map(|f| f.builtin), Some(true));
    }
}
