//! A reader for txtar archives (`-- name --` headers followed by contents),
//! the format of Cerbos's verify conformance cases.

/// A parsed archive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Archive {
    /// Text before the first file header.
    pub comment: String,
    /// Files in order: `(name, contents)`.
    pub files: Vec<(String, String)>,
}

/// The file name if `line` is a header (`-- name --`).
fn header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("-- ")?;
    let name = rest.strip_suffix(" --")?.trim();
    if name.is_empty() {
        None
    } else {
        Some(name)
    }
}

/// Parses an archive. Every input is accepted; text that is not under a
/// header becomes the comment.
pub fn parse(data: &str) -> Archive {
    let mut archive = Archive::default();
    let mut current: Option<(String, String)> = None;
    for line in data.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        let bare = bare.strip_suffix('\r').unwrap_or(bare);
        if let Some(name) = header(bare) {
            if let Some(done) = current.take() {
                archive.files.push(done);
            }
            current = Some((name.to_string(), String::new()));
            continue;
        }
        match &mut current {
            Some((_, body)) => body.push_str(line),
            None => archive.comment.push_str(line),
        }
    }
    if let Some(done) = current.take() {
        archive.files.push(done);
    }
    archive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_files() {
        let a = parse("comment\n-- a.yaml --\nx: 1\n-- dir/b.yaml --\ny\n");
        assert_eq!(a.comment, "comment\n");
        assert_eq!(
            a.files,
            vec![
                ("a.yaml".to_string(), "x: 1\n".to_string()),
                ("dir/b.yaml".to_string(), "y\n".to_string())
            ]
        );
        assert_eq!(parse("").files.len(), 0);
        assert_eq!(parse("-- --\n").comment, "-- --\n");
    }
}
