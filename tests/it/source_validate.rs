//! `gitcanary validate PATH` as a user runs it: the real binary on a directory.

use std::path::Path;
use std::process::Command;

fn validate(dir: &Path) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_gitcanary"))
        .arg("validate")
        .arg(dir)
        .output()
        .expect("run gitcanary");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn the_seed_manifests_pass() {
    let dir = tempfile::tempdir().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed");
    for entry in std::fs::read_dir(seed).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "rollout-with-analysis.yaml" {
            std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let (code, out) = validate(dir.path());
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn every_problem_gets_one_line_and_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "a.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: x\n",
    );
    write(
        d,
        "b/dup.yaml",
        "# again\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n",
    );
    write(d, "broken.yml", "a: 1\nb: [2\n");
    write(
        d,
        "noname.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {}}",
    );
    write(d, "ignored/x.yaml", "not valid: [");
    write(d, ".gitcanaryignore", "ignored/\n");
    std::os::unix::fs::symlink("/etc/hostname", d.join("escape.yaml")).unwrap();
    let (code, out) = validate(d);
    let shown = d.display();
    let want = [
        format!(
            "{shown}/b/dup.yaml:2: Service/x: metadata.name: Service/x is also defined at a.yaml:1 (document 1)"
        ),
        format!(
            "{shown}/broken.yml:3: -: -: invalid YAML at column 1: did not find expected ',' or ']'"
        ),
        format!(
            "{shown}/escape.yaml:1: -: -: symlink points outside the repository (to `/etc/hostname`)"
        ),
        format!("{shown}/noname.json:1: -: metadata.name: missing or empty"),
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(code, 1, "{out}");
    assert_eq!(lines.len(), want.len(), "{out}");
    for (line, want) in lines.iter().zip(&want) {
        assert!(line.starts_with(want.as_str()), "got  {line}\nwant {want}");
    }
}
