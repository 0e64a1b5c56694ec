//! Errors with a position, printed the way compilers print them.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a file: where it is, which field, what is wrong and how to fix it.
///
/// Independent of TOML: other tools (e.g. the code generator reading an OpenAPI document) build
/// their own with [`Diagnostic::error`] and the builder methods.
///
/// ```
/// use paragon_manifest::Diagnostic;
///
/// let source = "name = \"GitHub\"\ncolor = \"blue\"\n";
/// let d = Diagnostic::error("accent color must be `#RRGGBB`")
///     .file("specs/github/integration.toml")
///     .span(source, 24..30)
///     .field("color")
///     .help("write six hex digits, e.g. \"#24292F\"");
/// assert_eq!((d.line, d.column), (2, 9));
/// let expected = concat!(
///     "error: accent color must be `#RRGGBB`\n",
///     "  --> specs/github/integration.toml:2:9\n",
///     "   |\n",
///     " 2 | color = \"blue\"\n",
///     "   |         ^^^^^^ field `color`\n",
///     "   = help: write six hex digits, e.g. \"#24292F\"\n",
/// );
/// assert_eq!(d.to_string(), expected);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The file the problem is in (as given by the caller; may be relative).
    pub file: PathBuf,
    /// 1-based line; 0 when the problem has no position (e.g. the file cannot be read).
    pub line: usize,
    /// 1-based column, counted in characters; 0 when there is no position.
    pub column: usize,
    /// The dotted path of the field, e.g. `auth.client_secret` or `inputs[0].key`; empty when the
    /// problem is about the whole file.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What would fix it.
    pub help: Option<String>,
    /// The source line and the underlined range, when the source is known.
    pub snippet: Option<Snippet>,
}

/// The source line shown under a [`Diagnostic`], with the underlined part.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snippet {
    /// The text of the line (without its line break).
    pub text: String,
    /// 1-based column (in characters) where the underline starts.
    pub column: usize,
    /// Length of the underline in characters (at least 1).
    pub width: usize,
}

/// Longest source line shown; longer lines are cut around the underline.
const SNIPPET_CHARS: usize = 100;

impl Snippet {
    /// The part of `line` around `column`, at most [`SNIPPET_CHARS`] characters, with `…` where
    /// it was cut.
    fn window(line: &str, column: usize, width: usize) -> Snippet {
        let chars = line.chars().count();
        if chars <= SNIPPET_CHARS {
            return Snippet {
                text: line.to_owned(),
                column,
                width,
            };
        }
        // 0-based character index where the underline starts; it may lie past the line's end.
        let start = column.saturating_sub(1);
        let first = start.saturating_sub(SNIPPET_CHARS / 4);
        let end = (first + SNIPPET_CHARS).min(chars);
        let mut text: String = if first > 0 {
            "…".into()
        } else {
            String::new()
        };
        text.extend(line.chars().skip(first).take(end.saturating_sub(first)));
        if end < chars {
            text.push('…');
        }
        let column = start - first + 1 + usize::from(first > 0);
        let width = width.min(end.saturating_sub(start)).max(1);
        Snippet {
            text,
            column,
            width,
        }
    }
}

impl Diagnostic {
    /// A new error with `message` and no position yet.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            file: PathBuf::new(),
            line: 0,
            column: 0,
            field: String::new(),
            message: message.into(),
            help: None,
            snippet: None,
        }
    }

    /// Sets the file.
    pub fn file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = file.into();
        self
    }

    /// Sets line and column (1-based) without a source snippet.
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = line;
        self.column = column;
        self
    }

    /// Sets the position from a byte range of `source`, and the snippet to show.
    ///
    /// Out-of-range or non-boundary offsets are clamped, so any range is accepted.
    pub fn span(mut self, source: &str, range: Range<usize>) -> Self {
        let start = floor_boundary(source, range.start);
        let end = floor_boundary(source, range.end.max(start));
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[start..]
            .find('\n')
            .map_or(source.len(), |i| start + i);
        let text = source[line_start..line_end].trim_end_matches('\r');
        let column = source[line_start..start].chars().count() + 1;
        let width = source[start..end.min(line_end)].chars().count().max(1);
        self.line = source[..start].matches('\n').count() + 1;
        self.column = column;
        self.snippet = Some(Snippet::window(text, column, width));
        self
    }

    /// Sets the dotted field path.
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }

    /// Sets the help text: what would fix the problem.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let gutter = if self.line > 0 {
            self.line.to_string().len()
        } else {
            1
        };
        let pad = " ".repeat(gutter + 1);
        write!(f, "{pad}--> {}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        writeln!(f)?;
        match &self.snippet {
            Some(snippet) => {
                writeln!(f, "{pad} |")?;
                writeln!(f, " {} | {}", self.line, snippet.text)?;
                write!(
                    f,
                    "{pad} | {}{}",
                    " ".repeat(snippet.column.saturating_sub(1)),
                    "^".repeat(snippet.width)
                )?;
                if !self.field.is_empty() {
                    write!(f, " field `{}`", self.field)?;
                }
                writeln!(f)?;
            }
            None if !self.field.is_empty() => writeln!(f, "{pad} = field: `{}`", self.field)?,
            None => {}
        }
        if let Some(help) = &self.help {
            writeln!(f, "{pad} = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Every problem found in one go, in file order.
///
/// `Display` prints each [`Diagnostic`] compiler style, separated by blank lines, followed by a
/// one-line summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// No problems yet.
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    /// Adds a problem.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Whether there is no problem.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The problems, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sorts by file, then position, keeping the order of problems at the same place.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    }

    /// A single problem about a whole file (no position), e.g. one that cannot be read.
    pub fn for_file(file: &Path, message: impl Into<String>) -> Self {
        Diagnostics(vec![Diagnostic::error(message).file(file)])
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Self {
        Diagnostics(v)
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Extend<Diagnostic> for Diagnostics {
    fn extend<T: IntoIterator<Item = Diagnostic>>(&mut self, iter: T) {
        self.0.extend(iter);
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        match self.0.len() {
            0 => Ok(()),
            1 => Ok(()),
            n => write!(f, "\nerror: {n} problems found"),
        }
    }
}

impl std::error::Error for Diagnostics {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters() {
        let source = "name = \"Tâche\"\ncolor = \"日本\"\n";
        let start = source.find("\"日").unwrap();
        let d = Diagnostic::error("x").span(source, start..start + 8);
        assert_eq!((d.line, d.column), (2, 9));
        let snippet = d.snippet.unwrap();
        assert_eq!(
            (snippet.text.as_str(), snippet.width),
            ("color = \"日本\"", 4)
        );
        // Offsets inside a character or past the end are clamped.
        let d = Diagnostic::error("x").span(source, 10..1000);
        assert_eq!((d.line, d.column), (1, 10));
    }

    #[test]
    fn long_lines_are_cut_around_the_problem() {
        let source = format!("a = \"{}\" # {}", "x".repeat(300), "y".repeat(300));
        let at = source.find(" #").unwrap();
        let d = Diagnostic::error("x").span(&source, at..at + 2);
        assert_eq!((d.line, d.column), (1, 307));
        let snippet = d.snippet.unwrap();
        assert_eq!(snippet.text.chars().count(), SNIPPET_CHARS + 2);
        assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'));
        let underlined: String = snippet
            .text
            .chars()
            .skip(snippet.column - 1)
            .take(snippet.width)
            .collect();
        assert_eq!(underlined, " #");
    }

    #[test]
    fn a_column_past_the_end_of_a_long_line() {
        // Found by the fuzzer: the problem sits on a `\r` that is not shown.
        let source = format!("{}\r\nb", "x".repeat(300));
        let d = Diagnostic::error("x").span(&source, 300..302);
        assert_eq!((d.line, d.column), (1, 301));
        let snippet = d.snippet.unwrap();
        assert_eq!((snippet.column, snippet.width), (27, 1));
        assert_eq!(snippet.text.chars().count(), 26);
    }

    #[test]
    fn without_a_position() {
        let d = Diagnostic::error("cannot read the manifest: not found")
            .file("specs/x/integration.toml")
            .help("check the path");
        assert_eq!(
            d.to_string(),
            "error: cannot read the manifest: not found\n  --> specs/x/integration.toml\n   = help: check the path\n"
        );
    }
}
