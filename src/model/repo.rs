//! The loaded repository: its files, its objects and their indexes.

use crate::diagnostic::Diagnostic;
use crate::load;
use crate::model::Object;
use crate::source::{FileId, SourceDb};
use crate::walk::WalkItem;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

pub const ARGO_GROUP: &str = "argoproj.io";

#[derive(Debug, Default)]
pub struct Repo {
    /// The directory paths in reports are relative to.
    pub root: PathBuf,
    pub db: SourceDb,
    pub objects: Vec<Object>,
    /// YAML/JSON files read.
    pub files: usize,
    /// YAML documents parsed.
    pub documents: usize,
    /// Files that hold a tool's output, not a file of the repository.
    virtual_files: std::collections::HashSet<crate::source::FileId>,
    /// Unparsed files added for reports (Helm templates), by path.
    text_files: HashMap<String, FileId>,
    by_kind: HashMap<(String, String), Vec<usize>>,
    by_name: HashMap<(String, String, Option<String>, String), Vec<usize>>,
}

impl Repo {
    /// Loads walked files in parallel; problems with files come back as diagnostics.
    pub fn load(root: PathBuf, items: &[WalkItem]) -> (Repo, Vec<Diagnostic>) {
        let loaded: Vec<load::LoadedFile> = items
            .par_iter()
            .enumerate()
            .map(|(i, item)| load::load(FileId(u32::try_from(i).unwrap_or(u32::MAX)), item))
            .collect();
        let mut repo = Repo {
            root,
            ..Repo::default()
        };
        let mut diags = Vec::new();
        for lf in loaded {
            if lf.read {
                repo.files += 1;
            }
            repo.documents += lf.documents;
            repo.db.add(lf.source);
            repo.objects.extend(lf.objects);
            diags.extend(lf.diagnostics);
        }
        repo.reindex();
        (repo, diags)
    }

    /// Adds a tool's output as a virtual file and its objects (not yet indexed: call
    /// [`Repo::reindex`] once after the last one). Returns the new objects' indices.
    pub fn add_rendered(
        &mut self,
        label: String,
        abs_path: std::path::PathBuf,
        text: String,
        from: &crate::model::RenderedFrom,
    ) -> Vec<usize> {
        self.add_virtual(label, abs_path, text, |o| {
            o.rendered = Some(Box::new(from.clone()));
        })
    }

    /// Adds a generated Application (its YAML) as a virtual file and its object (not yet
    /// indexed: call [`Repo::reindex`] after the last one). Returns the new objects'
    /// indices.
    pub fn add_generated(
        &mut self,
        label: String,
        abs_path: std::path::PathBuf,
        text: String,
        from: crate::model::GeneratedFrom,
    ) -> Vec<usize> {
        self.add_virtual(label, abs_path, text, |o| {
            o.generated = Some(Box::new(from.clone()));
        })
    }

    /// Loads `text` as a virtual file, marks each of its objects with `mark` and appends
    /// them. Returns the new objects' indices.
    fn add_virtual(
        &mut self,
        label: String,
        abs_path: std::path::PathBuf,
        text: String,
        mark: impl Fn(&mut Object),
    ) -> Vec<usize> {
        let id = FileId(u32::try_from(self.db.len()).unwrap_or(u32::MAX));
        let item = WalkItem {
            rel_path: label,
            abs_path,
            error: None,
        };
        let lf = load::load_bytes(id, &item, text.into_bytes());
        self.db.add(lf.source);
        self.virtual_files.insert(id);
        let start = self.objects.len();
        for mut o in lf.objects {
            mark(&mut o);
            self.objects.push(o);
        }
        (start..self.objects.len()).collect()
    }

    /// Adds a file that is shown in reports but not parsed (a Helm template), once.
    pub fn add_text_file(
        &mut self,
        rel_path: String,
        abs_path: std::path::PathBuf,
        text: String,
    ) -> FileId {
        if let Some(&id) = self.text_files.get(&rel_path) {
            return id;
        }
        let id = self.db.add(crate::source::SourceFile::new(
            rel_path.clone(),
            abs_path,
            std::sync::Arc::from(text),
        ));
        self.text_files.insert(rel_path, id);
        id
    }

    /// Whether a file holds a tool's output rather than a file of the repository.
    pub fn is_virtual(&self, file: FileId) -> bool {
        self.virtual_files.contains(&file)
    }

    pub fn reindex(&mut self) {
        self.by_kind.clear();
        self.by_name.clear();
        for (i, o) in self.objects.iter().enumerate() {
            self.by_kind
                .entry((o.group().to_owned(), o.kind.clone()))
                .or_default()
                .push(i);
            if let Some(n) = &o.name {
                self.by_name
                    .entry((
                        o.group().to_owned(),
                        o.kind.clone(),
                        o.namespace.clone(),
                        n.clone(),
                    ))
                    .or_default()
                    .push(i);
            }
        }
    }

    /// Indices (into `objects`) of all objects of a group and kind, in file order.
    pub fn indices_of_kind(&self, group: &str, kind: &str) -> &[usize] {
        self.by_kind
            .get(&(group.to_owned(), kind.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// All objects of a group and kind, in file order.
    pub fn of_kind<'a>(&'a self, group: &str, kind: &str) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_kind
            .get(&(group.to_owned(), kind.to_owned()))
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    /// Objects by group, kind, namespace and name (several when the repository repeats one).
    pub fn find<'a>(
        &'a self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> impl Iterator<Item = &'a Object> + 'a {
        self.by_name
            .get(&(
                group.to_owned(),
                kind.to_owned(),
                namespace.map(str::to_owned),
                name.to_owned(),
            ))
            .into_iter()
            .flatten()
            .map(|&i| &self.objects[i])
    }

    pub fn applications(&self) -> impl Iterator<Item = &Object> {
        self.of_kind(ARGO_GROUP, "Application")
    }

    pub fn application_sets(&self) -> impl Iterator<Item = &Object> {
        self.of_kind(ARGO_GROUP, "ApplicationSet")
    }

    pub fn projects(&self) -> impl Iterator<Item = &Object> {
        self.of_kind(ARGO_GROUP, "AppProject")
    }

    /// Secrets labelled `argocd.argoproj.io/secret-type: cluster`.
    pub fn cluster_secrets(&self) -> impl Iterator<Item = &Object> {
        self.of_kind("", "Secret")
            .filter(|o| crate::model::cluster::is_cluster_secret(o))
    }
}
