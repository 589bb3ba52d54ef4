//! The CI pipeline check and its fix on realistic workflow files. The edited
//! files are read back with a real YAML parser (`PyYAML` in the system Python)
//! to prove that the planner only added the step and broke nothing.

use std::path::Path;
use std::process::Command;

use portcullis::maint::ci::{self, CiKind};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/maint/ci").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A project holding the given pipeline files (relative path, fixture name).
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, name) in files {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        std::fs::write(target, fixture(name)).expect("write");
    }
    dir
}

/// The YAML document as JSON, parsed by `PyYAML`.
fn yaml(text: &str) -> Value {
    let script = "import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))";
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), text.as_bytes())
        .expect("write yaml");
    let output = child.wait_with_output().expect("python3 finishes");
    assert!(
        output.status.success(),
        "PyYAML could not read the text (install it with `apt-get install -y python3-yaml`): {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json")
}

#[test]
fn a_django_workflow_gets_the_step_after_its_install_step() {
    let dir = project(&[(".github/workflows/django.yml", "django-tests.yml")]);
    let pipelines = ci::find_pipelines(dir.path());
    assert_eq!(pipelines.len(), 1);
    assert_eq!(pipelines[0].kind, CiKind::GitHubActions);
    assert_eq!(pipelines[0].pip_audit_line, None);

    let fix = ci::plan_pip_audit_step(&pipelines, "requirements.txt").expect("a plan");
    assert_eq!(fix.path, dir.path().join(".github/workflows/django.yml"));

    let mut expected = yaml(&fix.before);
    let steps = expected["jobs"]["test"]["steps"].as_array_mut().expect("steps");
    steps.insert(
        3,
        json!({
            "name": "Audit dependencies with pip-audit",
            "run": "python -m pip install pip-audit\npip-audit -r requirements.txt\n"
        }),
    );
    assert_eq!(yaml(&fix.after), expected);
    // Only lines were added: no line of the old text changed or went away.
    let diff = similar::TextDiff::from_lines(&fix.before, &fix.after);
    assert!(diff.iter_all_changes().all(|c| c.tag() != similar::ChangeTag::Delete));

    // Once applied, the pipeline runs pip-audit.
    assert!(ci::find_pip_audit_line(&fix.after).is_some());
}

#[test]
fn four_space_workflow_with_one_line_steps_keeps_its_indentation() {
    let dir = project(&[(".github/workflows/tests.yaml", "one-line-steps.yaml")]);
    let pipelines = ci::find_pipelines(dir.path());
    let fix = ci::plan_pip_audit_step(&pipelines, "requirements/dev.txt").expect("a plan");

    let mut expected = yaml(&fix.before);
    expected["jobs"]["build"]["steps"].as_array_mut().expect("steps").insert(
        3,
        json!({
            "name": "Audit dependencies with pip-audit",
            "run": "python -m pip install pip-audit\npip-audit -r requirements/dev.txt\n"
        }),
    );
    assert_eq!(yaml(&fix.after), expected);
    assert!(fix.after.contains("\n            - name: Audit dependencies with pip-audit\n"));
}

#[test]
fn a_workflow_without_an_install_step_gets_a_pip_audit_job() {
    let dir = project(&[(".github/workflows/docs.yml", "docs-only.yml")]);
    let pipelines = ci::find_pipelines(dir.path());
    let fix = ci::plan_pip_audit_step(&pipelines, "requirements.txt").expect("a plan");

    let mut expected = yaml(&fix.before);
    expected["jobs"]["pip-audit"] = json!({
        "runs-on": "ubuntu-latest",
        "steps": [
            {"uses": "actions/checkout@v4"},
            {"uses": "pypa/gh-action-pip-audit@v1.1.0", "with": {"inputs": "requirements.txt"}}
        ]
    });
    assert_eq!(yaml(&fix.after), expected);
    let action_line = fix.after.lines().position(|l| l.contains("pypa/gh-action-pip-audit"));
    assert_eq!(
        ci::find_pip_audit_line(&fix.after),
        action_line.and_then(|i| u32::try_from(i + 1).ok())
    );
}

#[test]
fn a_pipeline_that_already_runs_pip_audit_needs_no_plan() {
    let dir = project(&[
        (".github/workflows/django.yml", "django-tests.yml"),
        (".github/workflows/security.yml", "audited.yml"),
    ]);
    let pipelines = ci::find_pipelines(dir.path());
    assert_eq!(pipelines.len(), 2);
    assert_eq!(pipelines[1].pip_audit_line, Some(10));
    assert_eq!(ci::plan_pip_audit_step(&pipelines, "requirements.txt"), None);
}

#[test]
fn a_project_without_a_pipeline_has_nothing_to_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".github/workflows")).expect("mkdir");
    std::fs::write(dir.path().join(".github/workflows/README.md"), "not a workflow")
        .expect("write");
    let pipelines = ci::find_pipelines(dir.path());
    assert!(pipelines.is_empty());
    assert_eq!(ci::plan_pip_audit_step(&pipelines, "requirements.txt"), None);
}

#[test]
fn gitlab_gets_a_pip_audit_job_in_the_test_stage() {
    let dir = project(&[(".gitlab-ci.yml", "gitlab-ci.yml")]);
    let pipelines = ci::find_pipelines(dir.path());
    assert_eq!(pipelines[0].kind, CiKind::GitLab);
    let fix = ci::plan_pip_audit_step(&pipelines, "requirements.txt").expect("a plan");
    assert_eq!(fix.path, dir.path().join(".gitlab-ci.yml"));

    let mut expected = yaml(&fix.before);
    expected["pip-audit"] = json!({
        "stage": "test",
        "image": "python:3.12",
        "script": ["python -m pip install pip-audit", "pip-audit -r requirements.txt"]
    });
    assert_eq!(yaml(&fix.after), expected);
}

#[test]
fn gitlab_without_a_test_stage_uses_its_first_stage() {
    let dir = project(&[(".gitlab-ci.yml", "gitlab-ci-no-test-stage.yml")]);
    let pipelines = ci::find_pipelines(dir.path());
    let fix = ci::plan_pip_audit_step(&pipelines, "requirements.txt").expect("a plan");
    let after = yaml(&fix.after);
    assert_eq!(after["pip-audit"]["stage"], "lint");
    assert!(
        fix.after.contains("\n    script:\n        - pip-audit")
            || fix.after.contains("        - pip-audit -r requirements.txt\n")
    );
}
