//! [`CachedRenderer`]: renders each distinct source once per run, however many
//! Applications ask for it and however concurrently they ask.
//!
//! The key covers everything that can change the output: the source type, the repository
//! and source directory, the source JSON (options included, keys sorted), the Application
//! name and namespaces and the `$ref` roots, plus the content of every file under the
//! source directory and, for kustomize, under every local directory its kustomizations
//! reference (recursively), for Helm the value files and file parameters outside the
//! chart. File contents are hashed once per run per file (re-read if the file's size or
//! modification time changes). The location is part of the key because a kustomization's
//! relative references make the same files render differently elsewhere.

use super::{RenderError, RenderRequest, Rendered, Renderer, SourceType};
use crate::load::yaml;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

type Slot = Arc<OnceLock<Result<Rendered, RenderError>>>;
/// Size, modification time and content hash of a file already read.
type FileStamp = (u64, Option<SystemTime>, u128);

/// Hits and misses of a [`CachedRenderer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests answered by an earlier (or concurrent) render.
    pub hits: u64,
    /// Requests that ran the renderer.
    pub misses: u64,
}

impl CacheStats {
    pub fn lookups(&self) -> u64 {
        self.hits + self.misses
    }

    /// `hits / lookups`, 0 when nothing was looked up.
    pub fn hit_rate(&self) -> f64 {
        match self.lookups() {
            0 => 0.0,
            n => self.hits as f64 / n as f64,
        }
    }
}

/// A [`Renderer`] that remembers results (failures included) for the lifetime of the
/// value. Two threads asking for the same key at once wait for one render.
pub struct CachedRenderer<R> {
    inner: R,
    entries: Mutex<HashMap<u128, Slot>>,
    files: Mutex<HashMap<PathBuf, FileStamp>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<R: Renderer> CachedRenderer<R> {
    pub fn new(inner: R) -> Self {
        CachedRenderer {
            inner,
            entries: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn inner(&self) -> &R {
        &self.inner
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The cache key of a request.
    fn key(&self, req: &RenderRequest) -> u128 {
        let mut h = Hasher128::default();
        h.str(req.kind.label());
        h.path(&req.repo_root);
        h.path(&req.source_dir);
        h.str(&canonical(&req.source).to_string());
        // Kustomize output depends on the Application only through Argo CD's environment
        // (commonAnnotationsEnvsubst) and per-Application override files, so
        // Applications that share an overlay share its render. Helm's release name and
        // namespace default to the Application's.
        if req.kind == SourceType::Helm || app_specific_kustomize(req) {
            h.str(&req.app_name);
            h.str(&req.app_namespace);
            h.str(&req.dest_namespace);
        }
        for (k, v) in &req.refs {
            h.str(k);
            h.path(v);
        }
        h.u128(self.tree(&req.source_dir));
        match req.kind {
            SourceType::Kustomize => {
                for dir in kustomize_dirs(req) {
                    h.path(&dir);
                    h.u128(self.tree(&dir));
                }
            }
            SourceType::Helm => {
                for input in super::helm::extra_inputs(req, &req.source) {
                    h.path(&input);
                    h.u128(if input.is_dir() {
                        self.tree(&input)
                    } else {
                        self.file(&input)
                    });
                }
            }
        }
        h.finish()
    }

    /// Hash of a directory tree: names, kinds, link targets and file contents.
    fn tree(&self, dir: &Path) -> u128 {
        let mut h = Hasher128::default();
        self.walk(dir, Path::new(""), &mut h, 0);
        h.finish()
    }

    fn walk(&self, dir: &Path, rel: &Path, h: &mut Hasher128, depth: usize) {
        if depth > 64 {
            return;
        }
        let Ok(rd) = std::fs::read_dir(dir) else {
            h.str("<unreadable>");
            return;
        };
        let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for e in entries {
            let name = e.file_name();
            if name == ".git" {
                continue;
            }
            let path = e.path();
            let rel = rel.join(&name);
            h.path(&rel);
            match e.file_type() {
                Ok(t) if t.is_symlink() => {
                    h.str("link");
                    if let Ok(target) = std::fs::read_link(&path) {
                        h.path(&target);
                    }
                }
                Ok(t) if t.is_dir() => {
                    h.str("dir");
                    self.walk(&path, &rel, h, depth + 1);
                }
                Ok(_) => {
                    h.str("file");
                    h.u128(self.file(&path));
                }
                Err(_) => h.str("?"),
            }
        }
    }

    /// Hash of one file's content, memoised by size and modification time.
    fn file(&self, path: &Path) -> u128 {
        let Ok(meta) = std::fs::metadata(path) else {
            return 0;
        };
        let stamp = (meta.len(), meta.modified().ok());
        {
            let files = self.files.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((len, mtime, hash)) = files.get(path)
                && (*len, *mtime) == stamp
            {
                return *hash;
            }
        }
        let mut h = Hasher128::default();
        match std::fs::read(path) {
            Ok(bytes) => h.bytes(&bytes),
            Err(_) => h.str("<unreadable>"),
        }
        let hash = h.finish();
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_path_buf(), (stamp.0, stamp.1, hash));
        hash
    }
}

impl<R: Renderer> Renderer for CachedRenderer<R> {
    fn render(&self, req: &RenderRequest) -> Result<Rendered, RenderError> {
        let key = self.key(req);
        let slot: Slot = {
            let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            match entries.get(&key) {
                Some(s) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    Arc::clone(s)
                }
                None => {
                    self.misses.fetch_add(1, Ordering::Relaxed);
                    let s: Slot = Arc::new(OnceLock::new());
                    entries.insert(key, Arc::clone(&s));
                    s
                }
            }
        };
        slot.get_or_init(|| self.inner.render(req)).clone()
    }
}

/// JSON with object keys sorted, so key order in the YAML does not change the key.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&m[k])))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Local directories a kustomization reaches outside itself through `resources`, `bases`
/// and `components` (and the Application's own `components`), recursively.
fn kustomize_dirs(req: &RenderRequest) -> Vec<PathBuf> {
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    let mut todo: Vec<PathBuf> = vec![req.source_dir.clone()];
    let mut extra: Vec<String> = Vec::new();
    if let Some(c) = req
        .source
        .get("kustomize")
        .and_then(|k| k.get("components"))
        .and_then(Value::as_array)
    {
        extra.extend(c.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    let mut first = true;
    while let Some(dir) = todo.pop() {
        if seen.len() > 256 {
            break;
        }
        let mut refs = kustomization_refs(&dir);
        if first {
            refs.append(&mut extra);
            first = false;
        }
        for r in refs {
            if !super::fsutil::is_local_relative_path(&r) {
                continue;
            }
            let joined = PathBuf::from(super::fsutil::join(&super::fsutil::path_str(&dir), &r));
            if joined.is_dir()
                && !joined.starts_with(&req.source_dir)
                && seen.insert(joined.clone())
            {
                todo.push(joined);
            }
        }
    }
    seen.into_iter().collect()
}

fn kustomization_refs(dir: &Path) -> Vec<String> {
    let Some(text) = super::kustomize::KUSTOMIZATION_FILES
        .iter()
        .find_map(|f| std::fs::read_to_string(dir.join(f)).ok())
    else {
        return Vec::new();
    };
    let parsed = yaml::parse(&text);
    let Some(doc) = parsed.documents.first() else {
        return Vec::new();
    };
    let json = doc.root.to_json();
    ["resources", "bases", "components"]
        .iter()
        .filter_map(|k| json.get(*k).and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// 128 bits from two SipHash states with different seeds: ample for an in-memory key.
struct Hasher128(DefaultHasher, DefaultHasher);

impl Default for Hasher128 {
    fn default() -> Self {
        let mut b = DefaultHasher::new();
        b.write_u64(0x9e37_79b9_7f4a_7c15);
        Hasher128(DefaultHasher::new(), b)
    }
}

impl Hasher128 {
    fn bytes(&mut self, b: &[u8]) {
        self.0.write_usize(b.len());
        self.0.write(b);
        self.1.write_usize(b.len());
        self.1.write(b);
    }

    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn path(&mut self, p: &Path) {
        self.bytes(p.as_os_str().as_encoded_bytes());
    }

    fn u128(&mut self, v: u128) {
        self.bytes(&v.to_le_bytes());
    }

    fn finish(&self) -> u128 {
        (u128::from(self.0.finish()) << 64) | u128::from(self.1.finish())
    }
}

/// Whether a kustomize render can depend on which Application asks for it: environment
/// substitution in annotations, or `.argocd-source-<app>.yaml` override files.
fn app_specific_kustomize(req: &RenderRequest) -> bool {
    let envsubst = req
        .source
        .pointer("/kustomize/commonAnnotationsEnvsubst")
        .and_then(Value::as_bool)
        == Some(true);
    let per_app_overrides = std::fs::read_dir(&req.source_dir).is_ok_and(|rd| {
        rd.filter_map(Result::ok).any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".argocd-source-")
        })
    });
    envsubst || per_app_overrides
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    struct Counting(AtomicUsize);

    impl Renderer for Counting {
        fn render(&self, req: &RenderRequest) -> Result<Rendered, RenderError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            Ok(Rendered {
                yaml: format!("name: {}\n", req.app_name),
                tool: "fake".into(),
            })
        }
    }

    fn req(root: &Path, source: Value, app: &str) -> RenderRequest {
        RenderRequest {
            kind: SourceType::Kustomize,
            repo_root: root.to_path_buf(),
            source_dir: root.join("overlay"),
            source,
            app_name: app.into(),
            project: String::new(),
            app_namespace: "argocd".into(),
            dest_namespace: "prod".into(),
            refs: BTreeMap::new(),
            timeout: Duration::from_secs(5),
        }
    }

    fn setup() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("overlay")).unwrap();
        std::fs::create_dir_all(dir.path().join("base")).unwrap();
        std::fs::write(
            dir.path().join("overlay/kustomization.yaml"),
            "resources: [../base]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("base/kustomization.yaml"),
            "resources: [cm.yaml]\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("base/cm.yaml"), "a: 1\n").unwrap();
        dir
    }

    #[test]
    fn same_key_renders_once_even_concurrently() {
        let dir = setup();
        let cache = CachedRenderer::new(Counting(AtomicUsize::new(0)));
        let r = req(
            dir.path(),
            json!({"path": "overlay", "kustomize": {"namePrefix": "a-"}}),
            "web",
        );
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| cache.render(&r).unwrap());
            }
        });
        assert_eq!(cache.inner().0.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats(), CacheStats { hits: 7, misses: 1 });
        // Key order in the source does not matter.
        let reordered = req(
            dir.path(),
            json!({"kustomize": {"namePrefix": "a-"}, "path": "overlay"}),
            "web",
        );
        cache.render(&reordered).unwrap();
        assert_eq!(cache.inner().0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn options_names_and_referenced_content_change_the_key() {
        let dir = setup();
        let cache = CachedRenderer::new(Counting(AtomicUsize::new(0)));
        let a = req(
            dir.path(),
            json!({"kustomize": {"namePrefix": "a-"}}),
            "web",
        );
        cache.render(&a).unwrap();
        cache
            .render(&req(
                dir.path(),
                json!({"kustomize": {"namePrefix": "b-"}}),
                "web",
            ))
            .unwrap();
        // Another Application with the same overlay and options shares the render ...
        cache
            .render(&req(
                dir.path(),
                json!({"kustomize": {"namePrefix": "a-"}}),
                "api",
            ))
            .unwrap();
        assert_eq!(cache.inner().0.load(Ordering::SeqCst), 2);
        // ... unless the Application's name can reach the output.
        let envsubst = |app: &str| {
            req(
                dir.path(),
                json!({"kustomize": {"commonAnnotationsEnvsubst": true, "commonAnnotations": {"app": "${ARGOCD_APP_NAME}"}}}),
                app,
            )
        };
        cache.render(&envsubst("web")).unwrap();
        cache.render(&envsubst("api")).unwrap();
        assert_eq!(cache.inner().0.load(Ordering::SeqCst), 4);
        // A change in the base the overlay references is seen.
        std::fs::write(dir.path().join("base/cm.yaml"), "a: 22\n").unwrap();
        cache.render(&a).unwrap();
        assert_eq!(cache.inner().0.load(Ordering::SeqCst), 5);
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 5 });
        cache.render(&a).unwrap();
        assert_eq!(cache.stats(), CacheStats { hits: 2, misses: 5 });
        assert!((cache.stats().hit_rate() - 2.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn kustomize_dirs_follow_references() {
        let dir = setup();
        let r = req(dir.path(), json!({}), "web");
        assert_eq!(kustomize_dirs(&r), vec![dir.path().join("base")]);
    }
}
