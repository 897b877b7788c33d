//! Native rules. `NATIVE` is the one list of them; a test keeps it one-to-one with the
//! declarations in `rules/` that have no `check`.

use crate::engine::{Native, NativeCheck};

mod util;

mod ambiguous_scalar;
mod app_fields;
mod app_sources;
mod app_sync;
mod app_tree;
mod appset;
mod destination_unresolved;
mod duplicate_application;
mod finalizers;
mod hook_annotations;
mod hook_lifecycle;
mod ignore_differences;
mod invalid_sync_wave;
mod non_string_annotation;
mod project_refs;
mod project_spec;
mod retry_backoff;
mod secrets;
mod source_refs;
mod sync_deps;
mod sync_option_annotations;
mod sync_options;
mod unknown_field;

pub use util::{did_you_mean, edit_distance, sub_span};

pub static NATIVE: &[Native] = &[
    Native {
        code: "GO001",
        check: NativeCheck::Stage,
    },
    Native {
        code: "GO002",
        check: NativeCheck::Stage,
    },
    Native {
        code: "GO003",
        check: NativeCheck::Stage,
    },
    Native {
        code: "GO006",
        check: NativeCheck::Object(ambiguous_scalar::check),
    },
    Native {
        code: "GO004",
        check: NativeCheck::Object(app_sources::check_render_failed),
    },
    Native {
        code: "GO005",
        check: NativeCheck::Object(app_sources::check_skipped),
    },
    Native {
        code: "GO007",
        check: NativeCheck::Stage,
    },
    Native {
        code: "APP001",
        check: NativeCheck::Object(app_fields::check),
    },
    Native {
        code: "APP003",
        check: NativeCheck::Object(destination_unresolved::check),
    },
    Native {
        code: "APP004",
        check: NativeCheck::Object(sync_options::check),
    },
    Native {
        code: "APP005",
        check: NativeCheck::Object(retry_backoff::check),
    },
    Native {
        code: "APP007",
        check: NativeCheck::Object(finalizers::check),
    },
    Native {
        code: "APP008",
        check: NativeCheck::Object(unknown_field::check),
    },
    Native {
        code: "APP009",
        check: NativeCheck::Object(source_refs::check),
    },
    Native {
        code: "APP010",
        check: NativeCheck::Object(app_sources::check_path_not_found),
    },
    Native {
        code: "APP011",
        check: NativeCheck::Repo(duplicate_application::check),
    },
    Native {
        code: "APP012",
        check: NativeCheck::Repo(app_tree::check_cycles),
    },
    Native {
        code: "APP013",
        check: NativeCheck::Repo(app_tree::check_depth),
    },
    Native {
        code: "APP014",
        check: NativeCheck::Object(app_sources::check_generate_paths),
    },
    Native {
        code: "APP015",
        check: NativeCheck::Object(app_sources::check_directory_options),
    },
    Native {
        code: "PRJ001",
        check: NativeCheck::Object(project_refs::check_project_exists),
    },
    Native {
        code: "PRJ002",
        check: NativeCheck::Object(project_refs::check_sources),
    },
    Native {
        code: "PRJ003",
        check: NativeCheck::Object(project_refs::check_destination),
    },
    Native {
        code: "PRJ004",
        check: NativeCheck::Object(project_refs::check_resources),
    },
    Native {
        code: "PRJ005",
        check: NativeCheck::Object(project_refs::check_resource_namespaces),
    },
    Native {
        code: "PRJ006",
        check: NativeCheck::Object(project_refs::check_app_namespace),
    },
    Native {
        code: "PRJ007",
        check: NativeCheck::Object(project_spec::check_role_policies),
    },
    Native {
        code: "PRJ008",
        check: NativeCheck::Object(project_spec::check_spec),
    },
    Native {
        code: "PRJ009",
        check: NativeCheck::Object(project_spec::check_deny_only),
    },
    Native {
        code: "PRJ010",
        check: NativeCheck::Object(project_spec::check_ineffective_patterns),
    },
    Native {
        code: "PRJ011",
        check: NativeCheck::Object(project_spec::check_empty_namespace_whitelist),
    },
    Native {
        code: "IGN001",
        check: NativeCheck::Shared(ignore_differences::check_ign001),
    },
    Native {
        code: "IGN002",
        check: NativeCheck::Shared(ignore_differences::check_ign002),
    },
    Native {
        code: "IGN003",
        check: NativeCheck::Shared(ignore_differences::check_ign003),
    },
    Native {
        code: "IGN004",
        check: NativeCheck::Shared(ignore_differences::check_ign004),
    },
    Native {
        code: "IGN005",
        check: NativeCheck::Shared(ignore_differences::check_ign005),
    },
    Native {
        code: "IGN006",
        check: NativeCheck::Shared(ignore_differences::check_ign006),
    },
    Native {
        code: "IGN007",
        check: NativeCheck::Shared(ignore_differences::check_ign007),
    },
    Native {
        code: "IGN008",
        check: NativeCheck::Shared(ignore_differences::check_ign008),
    },
    Native {
        code: "IGN009",
        check: NativeCheck::Shared(ignore_differences::check_ign009),
    },
    Native {
        code: "SEC002",
        check: NativeCheck::Object(app_sync::check_prune_critical),
    },
    Native {
        code: "SEC003",
        check: NativeCheck::Object(hook_lifecycle::check_mutable_image),
    },
    Native {
        code: "SEC004",
        check: NativeCheck::Object(project_spec::check_wide_open),
    },
    Native {
        code: "SET001",
        check: NativeCheck::Object(appset::check_templated_project),
    },
    Native {
        code: "SET002",
        check: NativeCheck::Object(appset::check_syntax),
    },
    Native {
        code: "SET003",
        check: NativeCheck::Object(appset::check_unresolved),
    },
    Native {
        code: "SET004",
        check: NativeCheck::Object(appset::check_matches_nothing),
    },
    Native {
        code: "SET005",
        check: NativeCheck::Object(appset::check_invalid_generator),
    },
    Native {
        code: "SET006",
        check: NativeCheck::Object(appset::check_preserve_resources),
    },
    Native {
        code: "SET007",
        check: NativeCheck::Object(appset::check_rolling_sync),
    },
    Native {
        code: "SET008",
        check: NativeCheck::Object(appset::check_template_name),
    },
    Native {
        code: "SET009",
        check: NativeCheck::Object(appset::check_missingkey),
    },
    Native {
        code: invalid_sync_wave::CODE,
        check: NativeCheck::Object(invalid_sync_wave::check),
    },
    Native {
        code: "SYN002",
        check: NativeCheck::Object(hook_annotations::check_hook_types),
    },
    Native {
        code: "SYN003",
        check: NativeCheck::Object(hook_annotations::check_delete_policies),
    },
    Native {
        code: "SYN004",
        check: NativeCheck::Object(sync_option_annotations::check),
    },
    Native {
        code: "SYN005",
        check: NativeCheck::Shared(sync_deps::check_dependency_order),
    },
    Native {
        code: "SYN006",
        check: NativeCheck::Shared(sync_deps::check_hook_dependencies),
    },
    Native {
        code: "SYN007",
        check: NativeCheck::Object(hook_lifecycle::check_immutable_hook),
    },
    Native {
        code: "SYN008",
        check: NativeCheck::Object(hook_lifecycle::check_accumulating_hook),
    },
    Native {
        code: "SYN009",
        check: NativeCheck::Shared(sync_deps::check_crd_elsewhere),
    },
    Native {
        code: "SYN010",
        check: NativeCheck::Object(hook_lifecycle::check_helm_hooks),
    },
    Native {
        code: "SYN011",
        check: NativeCheck::Object(hook_annotations::check_skip_combined),
    },
    Native {
        code: "SYN012",
        check: NativeCheck::Repo(app_sync::check_child_waves),
    },
    Native {
        code: non_string_annotation::CODE,
        check: NativeCheck::Object(non_string_annotation::check),
    },
    Native {
        code: "SEC001",
        check: NativeCheck::Object(secrets::check_plaintext),
    },
    Native {
        code: "SEC005",
        check: NativeCheck::Object(secrets::check_insecure_cluster),
    },
    // Reported by `drift` (src/live/), never by a lint: their stage is the live comparison.
    Native {
        code: "LIVE001",
        check: NativeCheck::Stage,
    },
    Native {
        code: "LIVE002",
        check: NativeCheck::Stage,
    },
    Native {
        code: "LIVE003",
        check: NativeCheck::Stage,
    },
    Native {
        code: "LIVE004",
        check: NativeCheck::Stage,
    },
];
