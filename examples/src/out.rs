//! Where examples write: the terminal, and a copy the tests read.

use std::fmt::Display;

/// An example's output: printed as it goes (for `cargo run --example`) and kept (for tests).
#[derive(Debug, Default)]
pub struct Out {
    text: String,
    echo: bool,
}

impl Out {
    /// Prints each line to standard output as well as keeping it.
    pub fn stdout() -> Out {
        Out {
            text: String::new(),
            echo: true,
        }
    }

    /// Only keeps the lines (tests read them with [`Out::text`]).
    pub fn capture() -> Out {
        Out::default()
    }

    /// A section heading: `== title ==`, after a blank line.
    pub fn heading(&mut self, title: impl Display) {
        self.line("");
        self.line(format!("== {title} =="));
    }

    /// One line (or several, separated by `\n`).
    pub fn line(&mut self, text: impl Display) {
        let text = text.to_string();
        if self.echo {
            println!("{text}");
        }
        self.text.push_str(&text);
        self.text.push('\n');
    }

    /// A value as indented, pretty-printed JSON.
    pub fn json(&mut self, value: &impl serde::Serialize) {
        let pretty = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| format!("<cannot show as JSON: {e}>"));
        for line in pretty.lines() {
            self.line(format!("    {line}"));
        }
    }

    /// Everything written so far.
    pub fn text(&self) -> &str {
        &self.text
    }
}
