//! Generated documentation and schemas stay equal to what the code produces:
//! docs/cli.md (every `--help`), docs/type-mapping.md (the rule table) and schema/*.json.
//! Run with UPDATE_DOCS=1 to rewrite them after a deliberate change.

use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(path: PathBuf, expected: &str) {
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, expected).unwrap();
        return;
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "{} is out of date with the code; run `UPDATE_DOCS=1 cargo test --test docs_in_sync` and commit it",
        path.display()
    );
}

#[test]
fn cli_reference_matches_help() {
    check(root().join("docs/cli.md"), &cutover::cli::reference_markdown());
}

#[test]
fn type_mapping_doc_matches_the_rules() {
    let path = root().join("docs/type-mapping.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let table = cutover::mapping::rules_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let start = doc.find("<!-- rules:start -->");
        let end = doc.find("<!-- rules:end -->");
        if let (Some(s), Some(e)) = (start, end) {
            let new = format!(
                "{}<!-- rules:start -->\n{table}<!-- rules:end -->{}",
                &doc[..s],
                &doc[e + "<!-- rules:end -->".len()..]
            );
            std::fs::write(&path, new).unwrap();
        }
        return;
    }
    assert!(
        doc.contains(&format!("<!-- rules:start -->\n{table}<!-- rules:end -->")),
        "docs/type-mapping.md does not hold the current rule table; run `UPDATE_DOCS=1 cargo test --test docs_in_sync`"
    );
}

#[test]
fn json_schemas_match_the_types() {
    for (name, text) in cutover::cli::json_schemas() {
        check(root().join("schema").join(name), &text);
    }
}
