//! Finds the project's CI pipeline and whether it runs pip-audit, and plans
//! the step that makes it do so. There is no YAML parser here on purpose (no
//! crate for it): the edit is line-based and keeps the file's own indentation,
//! and the planner only ever inserts lines, never rewrites existing ones.

use std::path::{Path, PathBuf};

/// Which CI system a pipeline file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiKind {
    GitHubActions,
    GitLab,
}

/// One pipeline file of the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineFile {
    pub kind: CiKind,
    /// On the host.
    pub path: PathBuf,
    pub text: String,
    /// 1-based line that runs pip-audit, if any.
    pub pip_audit_line: Option<u32>,
}

/// A planned edit of one pipeline file: whole texts, before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiFix {
    pub path: PathBuf,
    pub before: String,
    pub after: String,
    /// What the edit does, in one line, for the plan's title.
    pub summary: String,
}

impl CiFix {
    /// The edit for the fix pipeline; `root` names the file inside the target.
    pub fn file_edit(&self, root: &Path) -> crate::fix::FileEdit {
        crate::fix::FileEdit::change(
            crate::target::inside_path(root, &self.path),
            self.before.clone().into_bytes(),
            self.after.clone().into_bytes(),
        )
    }
}

/// Every pipeline file of the project at `project_dir` (on the host):
/// `.github/workflows/*.yml|*.yaml` in name order, then `.gitlab-ci.yml`.
/// Unreadable files are left out.
pub fn find_pipelines(project_dir: &Path) -> Vec<PipelineFile> {
    let mut paths: Vec<(CiKind, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(project_dir.join(".github/workflows")) {
        let mut workflows: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file() && p.extension().is_some_and(|ext| ext == "yml" || ext == "yaml")
            })
            .collect();
        workflows.sort();
        paths.extend(workflows.into_iter().map(|p| (CiKind::GitHubActions, p)));
    }
    let gitlab = project_dir.join(".gitlab-ci.yml");
    if gitlab.is_file() {
        paths.push((CiKind::GitLab, gitlab));
    }

    paths
        .into_iter()
        .filter_map(|(kind, path)| {
            let text = String::from_utf8_lossy(&std::fs::read(&path).ok()?).into_owned();
            let pip_audit_line = find_pip_audit_line(&text);
            Some(PipelineFile { kind, path, text, pip_audit_line })
        })
        .collect()
}

/// The first pipeline line that runs pip-audit: the `pypa/gh-action-pip-audit`
/// action, or a command line invoking `pip-audit` (`pip-audit`,
/// `.../bin/pip-audit`, `python -m pip_audit`). Installing it is not running it.
pub fn find_pip_audit_line(text: &str) -> Option<u32> {
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("- ").unwrap_or(line).trim();
        if line.contains("pypa/gh-action-pip-audit") && line.starts_with("uses:") {
            return u32::try_from(index + 1).ok();
        }
        if runs_pip_audit_command(line) {
            return u32::try_from(index + 1).ok();
        }
    }
    None
}

fn runs_pip_audit_command(line: &str) -> bool {
    // A YAML key (`pip-audit:`, `name: pip-audit`) is not a command; only
    // the value of `run:`/`script:` or a block-scalar line is.
    let command =
        if let Some(value) = line.strip_prefix("run:").or_else(|| line.strip_prefix("script:")) {
            value.trim()
        } else if line.ends_with(':') || starts_with_key(line) {
            return false;
        } else {
            line
        };
    let command = command.trim_matches(|c| c == '"' || c == '\'');
    command.split(['&', ';', '|']).any(|part| {
        let words: Vec<&str> = part.split_whitespace().collect();
        let is_tool = |w: &&str| **w == *"pip-audit" || w.ends_with("/pip-audit");
        match words.as_slice() {
            [first, ..] if is_tool(first) => true,
            [python, "-m", "pip_audit", ..] if python.contains("python") => true,
            [runner, second, ..] if ["pipx", "uvx"].contains(runner) => {
                is_tool(second) || (*second == "run" && words.get(2).is_some_and(is_tool))
            }
            _ => false,
        }
    })
}

/// `name: x`, `uses: y`: a YAML key followed by a value.
fn starts_with_key(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(key, _)| {
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })
}

/// The edit that makes the project's CI run pip-audit on `requirements`
/// (a path relative to the repository root, e.g. `requirements.txt`). `None`
/// when the project has no pipeline (the item does not apply) or one of its
/// pipelines already runs pip-audit.
pub fn plan_pip_audit_step(pipelines: &[PipelineFile], requirements: &str) -> Option<CiFix> {
    if pipelines.iter().any(|p| p.pip_audit_line.is_some()) {
        return None;
    }
    let pipeline = pipelines.first()?;
    let (after, summary) = match pipeline.kind {
        CiKind::GitHubActions => add_github_step(&pipeline.text, requirements)?,
        CiKind::GitLab => add_gitlab_job(&pipeline.text, requirements),
    };
    Some(CiFix { path: pipeline.path.clone(), before: pipeline.text.clone(), after, summary })
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Adds a step after the first step that installs requirements with pip;
/// when no job does, adds a `pip-audit` job at the end of `jobs:`.
fn add_github_step(text: &str, requirements: &str) -> Option<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let jobs = lines.iter().position(|l| {
        indent_of(l) == 0 && l.split(" #").next().is_some_and(|key| key.trim_end() == "jobs:")
    })?;
    let jobs_end = (jobs + 1..lines.len())
        .find(|&i| is_content(lines[i]) && indent_of(lines[i]) == 0)
        .unwrap_or(lines.len());

    let install = (jobs + 1..jobs_end).find(|&i| {
        let line = lines[i].trim();
        !line.starts_with('#')
            && line.contains("pip install")
            && (line.contains(" -r")
                || line.contains("--requirement")
                || line.contains(requirements))
    });

    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    let summary;
    if let Some(install) = install {
        // The step holding the install line starts at the nearest `- ` above
        // it that is less indented (or the line itself: `- run: pip ...`).
        let install_indent = indent_of(lines[install]);
        let start = (jobs + 1..=install).rev().find(|&i| {
            lines[i].trim_start().starts_with("- ")
                && (indent_of(lines[i]) < install_indent || i == install)
        })?;
        let dash = indent_of(lines[start]);
        let end = (start + 1..jobs_end)
            .find(|&i| is_content(lines[i]) && indent_of(lines[i]) <= dash)
            .unwrap_or(jobs_end);
        let insert_at = last_content_before(&lines, start, end) + 1;
        let pad = " ".repeat(dash);
        let step = [
            format!("{pad}- name: Audit dependencies with pip-audit"),
            format!("{pad}  run: |"),
            format!("{pad}    python -m pip install pip-audit"),
            format!("{pad}    pip-audit -r {requirements}"),
        ];
        out.splice(insert_at..insert_at, step);
        summary = "add a pip-audit step after the step that installs the requirements".to_owned();
    } else {
        let unit = (jobs + 1..jobs_end)
            .find(|&i| is_content(lines[i]))
            .map_or(2, |i| indent_of(lines[i]))
            .max(1);
        let insert_at = last_content_before(&lines, jobs, jobs_end) + 1;
        let pad = |n: usize| " ".repeat(unit * n);
        let job = [
            String::new(),
            format!("{}pip-audit:", pad(1)),
            format!("{}runs-on: ubuntu-latest", pad(2)),
            format!("{}steps:", pad(2)),
            format!("{}- uses: actions/checkout@v4", pad(3)),
            format!("{}- uses: pypa/gh-action-pip-audit@v1.1.0", pad(3)),
            format!("{}  with:", pad(3)),
            format!("{}    inputs: {requirements}", pad(3)),
        ];
        out.splice(insert_at..insert_at, job);
        summary = "add a pip-audit job to the workflow".to_owned();
    }
    Some((join_lines(&out, text), summary))
}

/// The index of the last non-blank, non-comment line in `from..to` (or
/// `from` itself), so that inserted lines go before trailing blank lines.
fn last_content_before(lines: &[&str], from: usize, to: usize) -> usize {
    (from..to).rev().find(|&i| is_content(lines[i])).unwrap_or(from)
}

/// Appends a `pip-audit` job, in the `test` stage when the file's `stages:`
/// has it (or does not list stages), else in the first stage it lists.
fn add_gitlab_job(text: &str, requirements: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let unit = lines.iter().find(|l| is_content(l) && indent_of(l) > 0).map_or(2, |l| indent_of(l));
    let stages = gitlab_stages(&lines);
    let stage = if stages.is_empty() || stages.iter().any(|s| s == "test") {
        "test".to_owned()
    } else {
        stages[0].clone()
    };
    let pad = |n: usize| " ".repeat(unit * n);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out.extend([
        String::new(),
        "pip-audit:".to_owned(),
        format!("{}stage: {stage}", pad(1)),
        format!("{}image: python:3.12", pad(1)),
        format!("{}script:", pad(1)),
        format!("{}- python -m pip install pip-audit", pad(2)),
        format!("{}- pip-audit -r {requirements}", pad(2)),
    ]);
    (join_lines(&out, text), format!("add a pip-audit job in the {stage} stage"))
}

/// The names under a top-level `stages:` key (block list or `[a, b]`).
fn gitlab_stages(lines: &[&str]) -> Vec<String> {
    let Some(at) = lines.iter().position(|l| l.starts_with("stages:")) else {
        return Vec::new();
    };
    let inline = lines[at].trim_start_matches("stages:").trim();
    let clean = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
    if let Some(list) = inline.strip_prefix('[').and_then(|l| l.split(']').next()) {
        return list.split(',').map(clean).filter(|s| !s.is_empty()).collect();
    }
    lines[at + 1..]
        .iter()
        .take_while(|l| !is_content(l) || indent_of(l) > 0 || l.trim_start().starts_with("- "))
        .filter_map(|l| l.trim().strip_prefix("- ").map(clean))
        .collect()
}

/// Lines back into text with the original's line ending (CRLF stays CRLF),
/// ending with one (a file the planner edits always gains lines).
fn join_lines(lines: &[String], original: &str) -> String {
    let newline = if original.contains("\r\n") { "\r\n" } else { "\n" };
    let mut text = lines.join(newline);
    text.push_str(newline);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_is_told_from_installing_and_naming() {
        assert_eq!(find_pip_audit_line("      - run: pip install pip-audit\n"), None);
        assert_eq!(find_pip_audit_line("  pip-audit:\n    name: pip-audit\n"), None);
        assert_eq!(find_pip_audit_line("# - run: pip-audit -r r.txt\n"), None);
        assert_eq!(find_pip_audit_line("x:\n  - run: pip-audit -r r.txt\n"), Some(2));
        assert_eq!(find_pip_audit_line("  script:\n    - pip install x && pip-audit\n"), Some(2));
        assert_eq!(find_pip_audit_line("      - uses: pypa/gh-action-pip-audit@v1.1.0\n"), Some(1));
        assert_eq!(find_pip_audit_line("        python -m pip_audit --strict\n"), Some(1));
        assert_eq!(find_pip_audit_line("    - pipx run pip-audit\n"), Some(1));
    }

    #[test]
    fn crlf_files_stay_crlf_and_a_commented_jobs_key_is_found() {
        let text = "on: push\r\njobs:  # all of them\r\n  t:\r\n    runs-on: x\r\n    steps:\r\n      \
                    - run: pip install -r requirements.txt\r\n";
        let (after, _) = add_github_step(text, "requirements.txt").expect("a plan");
        assert!(after.starts_with(text), "{after:?}");
        assert!(after.ends_with("pip-audit -r requirements.txt\r\n"), "{after:?}");
        assert!(!after.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn gitlab_stages_are_read_in_both_forms() {
        assert_eq!(gitlab_stages(&["stages: [build, deploy]"]), ["build", "deploy"]);
        assert_eq!(gitlab_stages(&["stages:", "  - lint", "  - test", "job:"]), ["lint", "test"]);
    }
}
