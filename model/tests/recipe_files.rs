//! The catalogue's recipe files (`model/recipes/*.lua`): every one loads, every one is
//! registered, their rows are catalogue rows with unique ids, and a broken file is reported
//! with its path and line (so it fails here, not in a user's `check`).

use model::catalogue::{self, files};
use std::collections::HashSet;

#[test]
fn every_shipped_file_loads() {
    for (path, text) in files::FILES {
        if let Err(e) = model::program::lua::load_source(path, text.to_string()) {
            panic!("{path}: {e}");
        }
    }
    let loaded = files::scenarios().expect("every shipped file loads");
    assert_eq!(loaded.len(), files::FILES.len());
}

#[test]
fn every_file_in_model_recipes_is_registered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recipes");
    let on_disk: HashSet<String> = std::fs::read_dir(&dir)
        .expect("model/recipes exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".lua"))
        .map(|f| format!("model/recipes/{f}"))
        .collect();
    let listed: HashSet<String> = files::FILES.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(
        on_disk, listed,
        "model/recipes/*.lua and files::FILES differ"
    );
    // The compiled-in text is the file's text.
    for (path, text) in files::FILES {
        let on_disk =
            std::fs::read_to_string(dir.join(path.trim_start_matches("model/recipes/"))).unwrap();
        assert_eq!(&on_disk, text, "{path}");
    }
}

#[test]
fn file_rows_follow_the_rust_scenarios_and_row_ids_are_unique() {
    let all = catalogue::all();
    let mut seen = HashSet::new();
    for s in &all {
        assert!(
            seen.insert(s.name),
            "scenario {} twice in the catalogue",
            s.name
        );
    }
    let names: Vec<&str> = all.iter().map(|s| s.name).collect();
    let first_file = names.len() - files::FILES.len();
    assert_eq!(names[first_file], "capped-counter", "{names:?}");
    let rows =
        catalogue::select(&all, Some("capped-counter"), None, &model::FaultModel::ALL).unwrap();
    assert!(!rows.is_empty());
}

#[test]
fn the_shipped_file_checked_by_path_is_the_catalogue_scenario() {
    // From the repository root, `check model/recipes/capped_counter.lua` names the same file
    // the catalogue compiled in: the same scenario, no "already loaded" clash.
    let all = catalogue::all();
    let (path, text) = files::FILES[0];
    let again = model::program::lua::load_source(path, text.to_string()).unwrap();
    assert!(all.iter().any(|s| s.name == again.name));
}

#[test]
fn a_broken_file_is_one_line_with_its_path_and_line() {
    let err = model::program::lua::load_source(
        "model/recipes/broken.lua",
        "scenario { name = \"broken\", keys = { k = \"0\" } }\nvariant(\"v\", function(c) c:call( end)\n"
            .into(),
    )
    .unwrap_err();
    assert!(err.starts_with("model/recipes/broken.lua:2:"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}
