//! Edits of plain-text files that keep the file's own layout: an entry of a
//! `.env` file, a line of a pip requirements file. They return the new text.

/// Sets `name` in a `.env` text: the last existing entry keeps its `export`
/// and its quote style; a missing one is appended.
pub fn set_env_entry(text: &str, name: &str, value: &str) -> String {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let found = lines.iter().rposition(|line| env_entry_name(line) == Some(name));
    match found {
        Some(index) => {
            let line = &lines[index];
            let eq = line.find('=').unwrap_or(line.len());
            let old = line[eq + 1..].trim();
            let quote = old.chars().next().filter(|c| *c == '"' || *c == '\'');
            let new_value = match quote {
                Some(q) => format!("{q}{value}{q}"),
                None => value.to_owned(),
            };
            lines[index] = format!("{}={new_value}", &line[..eq]);
        }
        None => lines.push(format!("{name}={value}")),
    }
    let mut out = lines.join(newline);
    out.push_str(newline);
    out
}

/// The variable a `.env` line sets, if it sets one.
pub fn env_entry_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    if line.starts_with('#') {
        return None;
    }
    let line = line.strip_prefix("export ").unwrap_or(line);
    let (name, _) = line.split_once('=')?;
    let name = name.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(name)
}

/// PEP 503 normalised project name.
pub fn normalize_package(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !last_sep {
                out.push('-');
            }
            last_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            last_sep = false;
        }
    }
    out
}

/// The project a requirements line names, if it names one.
pub fn requirement_name(line: &str) -> Option<String> {
    let line = line.split('#').next().unwrap_or("").trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    (end > 0).then(|| normalize_package(&line[..end]))
}

/// Adds `package==version` to a requirements text, unless the package is
/// already listed. Sorted files stay sorted; others get the line at the end.
pub fn add_requirement(text: &str, package: &str, version: &str) -> String {
    let wanted = normalize_package(package);
    if text.lines().any(|line| requirement_name(line).as_deref() == Some(wanted.as_str())) {
        return text.to_owned();
    }
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let entry = format!("{package}=={version}");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let names: Vec<(usize, String)> =
        lines.iter().enumerate().filter_map(|(i, l)| requirement_name(l).map(|n| (i, n))).collect();
    let sorted = names.windows(2).all(|pair| pair[0].1 <= pair[1].1);
    let at = if sorted && !names.is_empty() {
        names
            .iter()
            .find(|(_, name)| *name > wanted)
            .map_or(names[names.len() - 1].0 + 1, |(i, _)| *i)
    } else {
        lines.len()
    };
    lines.insert(at, entry);
    let mut out = lines.join(newline);
    out.push_str(newline);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_env_entry_keeps_export_and_quotes() {
        let text = "# settings\nexport DJANGO_DEBUG='True'\nOTHER=1\n";
        assert_eq!(
            set_env_entry(text, "DJANGO_DEBUG", "False"),
            "# settings\nexport DJANGO_DEBUG='False'\nOTHER=1\n"
        );
        assert_eq!(set_env_entry("A=1\r\n", "B", "2"), "A=1\r\nB=2\r\n");
    }

    #[test]
    fn a_requirement_is_added_once_in_sorted_order() {
        let text = "# pinned\nDjango==5.2.19\npython-dotenv==1.2.1\n";
        let out = add_requirement(text, "django-csp", "4.0");
        assert_eq!(out, "# pinned\nDjango==5.2.19\ndjango-csp==4.0\npython-dotenv==1.2.1\n");
        assert_eq!(add_requirement(&out, "django_csp", "4.0"), out);
    }

    #[test]
    fn an_unsorted_requirements_file_gets_the_line_at_the_end() {
        let text = "requests==2\nDjango==5.2\n";
        assert_eq!(
            add_requirement(text, "pip-audit", "2.10.1"),
            "requests==2\nDjango==5.2\npip-audit==2.10.1\n"
        );
    }
}
