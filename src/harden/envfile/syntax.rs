//! The env file's syntax: the file split into entries that keep every byte they were
//! read from (an assignment knows where its key and its value are), quotes and escapes
//! resolved only when a value is read. Lines that are not assignments are kept verbatim.

use std::ops::Range;

/// One piece of the file, with its line ending(s). The file is the concatenation of its
/// entries' `raw` texts.
pub(super) enum Entry {
    /// A blank line, a comment, or a line that is not an assignment: written back as is.
    Verbatim(String),
    Assignment(Assignment),
}

pub(super) struct Assignment {
    pub(super) raw: String,
    pub(super) key: Range<usize>,
    /// Where the value is in `raw`, quotes included; empty for `KEY=`.
    pub(super) value: Range<usize>,
}

impl Assignment {
    pub(super) fn key(&self) -> &str {
        &self.raw[self.key.clone()]
    }

    /// The value as the application sees it: quotes removed, escapes resolved.
    pub(super) fn value(&self) -> String {
        let text = &self.raw[self.value.clone()];
        match text.chars().next() {
            Some(quote @ ('"' | '\'')) => unescape(&text[1..text.len() - 1], quote),
            _ => text.to_string(),
        }
    }

    /// Put `value` (which needs no quoting or escaping) in place of the old value,
    /// keeping the old value's quotes if it had any.
    pub(super) fn replace_value(&mut self, value: &str) {
        let old = &self.raw[self.value.clone()];
        let new = match old.chars().next() {
            Some(quote @ ('"' | '\'')) => format!("{quote}{value}{quote}"),
            _ => value.to_string(),
        };
        self.raw.replace_range(self.value.clone(), &new);
        self.value = self.value.start..self.value.start + new.len();
    }
}

/// Split `text` into entries. An error is the 1-based line and what is wrong there.
pub(super) fn parse_entries(text: &str) -> Result<Vec<Entry>, (usize, &'static str)> {
    let mut entries = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < text.len() {
        let end_of_line = line_end(text, pos);
        let content = text[pos..end_of_line].trim_end_matches(['\n', '\r']);
        let Some(head) = assignment_head(content, pos == 0) else {
            entries.push(Entry::Verbatim(text[pos..end_of_line].to_string()));
            line += 1;
            pos = end_of_line;
            continue;
        };
        let after_eq = head.eq + 1;
        let value_start = after_eq + blank_len(&content[after_eq..]);
        let (value, end) = match content[value_start..].chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let close = closing_quote(&text[pos..], value_start + 1, quote)
                    .ok_or((line, "this quoted value is never closed; close the quote, or remove the line"))?;
                (value_start..close + 1, line_end(text, pos + close + 1))
            }
            _ => (unquoted_value(content, after_eq), end_of_line),
        };
        let raw = text[pos..end].to_string();
        line += raw.matches('\n').count();
        entries.push(Entry::Assignment(Assignment { raw, key: head.key, value }));
        pos = end;
    }
    Ok(entries)
}

/// The index just past the `\n` that ends the line starting at `from`, or the text's end.
fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i + 1)
}

fn blank_len(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Where the key and the `=` are in a line that assigns a variable.
struct Head {
    key: Range<usize>,
    eq: usize,
}

fn assignment_head(line: &str, first_line: bool) -> Option<Head> {
    let bytes = line.as_bytes();
    let mut i = if first_line && line.starts_with('\u{feff}') { '\u{feff}'.len_utf8() } else { 0 };
    i += blank_len(&line[i..]);
    if line[i..].starts_with("export") && matches!(bytes.get(i + 6), Some(b' ' | b'\t')) {
        i += 6;
        i += blank_len(&line[i..]);
    }
    let key_start = i;
    if !bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return None;
    }
    while bytes.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        i += 1;
    }
    let key = key_start..i;
    i += blank_len(&line[i..]);
    (bytes.get(i) == Some(&b'=')).then_some(Head { key, eq: i })
}

/// The index of the quote that closes a value opened just before `from`, skipping
/// backslash escapes; the value may run over several lines.
fn closing_quote(text: &str, from: usize, quote: char) -> Option<usize> {
    let mut chars = text[from..].char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return Some(from + i);
        }
    }
    None
}

/// An unquoted value runs from after `=` to the line's end or to a `#` that follows a
/// blank, without the blanks around it. An empty value sits right after the `=`.
fn unquoted_value(line: &str, after_eq: usize) -> Range<usize> {
    let rest = &line[after_eq..];
    let comment = rest.char_indices().find(|&(i, c)| c == '#' && rest[..i].ends_with([' ', '\t'])).map(|(i, _)| i);
    let body = &rest[..comment.unwrap_or(rest.len())];
    let trimmed = body.trim_matches([' ', '\t']);
    if trimmed.is_empty() {
        return after_eq..after_eq;
    }
    let start = after_eq + blank_len(body);
    start..start + trimmed.len()
}

/// Resolve the escapes the dotenv libraries resolve inside quotes: in double quotes
/// `\n \r \t \" \\` (others are kept as written), in single quotes only `\'` and `\\`.
fn unescape(inner: &str, quote: char) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match (quote, chars.next()) {
            ('"', Some('n')) => out.push('\n'),
            ('"', Some('r')) => out.push('\r'),
            ('"', Some('t')) => out.push('\t'),
            ('"', Some('"')) | ('\'', Some('\'')) => out.push(quote),
            (_, Some('\\')) => out.push('\\'),
            (_, Some(other)) => {
                out.push('\\');
                out.push(other);
            }
            (_, None) => out.push('\\'),
        }
    }
    out
}
