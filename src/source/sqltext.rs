//! A small tokenizer for the SQL text that SQLite keeps in `sqlite_schema`.
//!
//! cutover never executes SQLite's SQL on a target; it reads the catalog through
//! pragmas. The text is needed only for what the pragmas do not say (CHECK constraints,
//! generation expressions, DEFERRABLE) and to carry view and index expressions to
//! another dialect with their identifiers re-quoted. Tokens keep their exact source
//! text, so untouched parts are reproduced byte for byte.

use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted word: keyword, function name or identifier.
    Word,
    /// `"x"`, `[x]` or `` `x` ``.
    QuotedIdent,
    /// `'x'` or a blob literal `X'..'`.
    String,
    Number,
    Space,
    Comment,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token<'a> {
    pub kind: TokenKind,
    pub text: &'a str,
}

impl<'a> Token<'a> {
    /// The identifier this token names, unquoted (for words and quoted identifiers).
    pub fn ident(&self) -> Option<String> {
        match self.kind {
            TokenKind::Word => Some(self.text.to_string()),
            TokenKind::QuotedIdent => Some(unquote(self.text)),
            _ => None,
        }
    }

    pub fn is_word(&self, w: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(w)
    }

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == p
    }

    fn is_trivia(&self) -> bool {
        matches!(self.kind, TokenKind::Space | TokenKind::Comment)
    }
}

/// Remove the quotes of a quoted identifier (or string literal) and undouble inner quotes.
pub fn unquote(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some('[') => text[1..text.len().saturating_sub(1)].to_string(),
        Some(q @ ('"' | '`' | '\'')) if text.len() >= 2 => {
            let inner = &text[1..text.len() - 1];
            let doubled: String = [q, q].iter().collect();
            inner.replace(&doubled, &q.to_string())
        }
        _ => text.to_string(),
    }
}

/// Split SQL text into tokens. Never fails: unterminated quotes run to the end.
pub fn tokenize(sql: &str) -> Vec<Token<'_>> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let kind = match c {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                TokenKind::Space
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                TokenKind::Comment
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                TokenKind::Comment
            }
            b'\'' => {
                i = end_of_quoted(bytes, i, b'\'');
                TokenKind::String
            }
            b'x' | b'X' if bytes.get(i + 1) == Some(&b'\'') => {
                i = end_of_quoted(bytes, i + 1, b'\'');
                TokenKind::String
            }
            b'"' | b'`' => {
                i = end_of_quoted(bytes, i, c);
                TokenKind::QuotedIdent
            }
            b'[' => {
                while i < bytes.len() && bytes[i] != b']' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
                TokenKind::QuotedIdent
            }
            b'0'..=b'9' => {
                i = end_of_number(bytes, i);
                TokenKind::Number
            }
            b'.' if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i = end_of_number(bytes, i);
                TokenKind::Number
            }
            c if c == b'_' || c == b'$' || c.is_ascii_alphabetic() || c >= 0x80 => {
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i] == b'$' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                TokenKind::Word
            }
            _ => {
                // Two-character operators stay together so that a re-quoter never splits them.
                let two = sql.get(i..i + 2).unwrap_or("");
                i += if ["||", "<=", ">=", "<>", "!=", "==", "<<", ">>", "->"].contains(&two) {
                    if two == "->" && bytes.get(i + 2) == Some(&b'>') {
                        3
                    } else {
                        2
                    }
                } else {
                    // Punctuation is ASCII here; step over a whole UTF-8 character otherwise.
                    sql[i..].chars().next().map_or(1, char::len_utf8)
                };
                TokenKind::Punct
            }
        };
        tokens.push(Token { kind, text: &sql[start..i] });
    }
    tokens
}

fn end_of_quoted(bytes: &[u8], open: usize, q: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == q {
            if bytes.get(i + 1) == Some(&q) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

fn end_of_number(bytes: &[u8], mut i: usize) -> usize {
    if bytes[i] == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
        i += 2;
        while i < bytes.len() && bytes[i].is_ascii_hexdigit() {
            i += 1;
        }
        return i;
    }
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
        i += 1;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < bytes.len() && matches!(bytes[j], b'+' | b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = j;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
        }
    }
    i
}

/// Words that, unquoted, are always keywords in SQLite's grammar: never identifiers to re-quote,
/// even when a table or column has that name (its uses are then quoted in the source).
const RESERVED: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FALSE",
    "FILTER",
    "FOREIGN",
    "FROM",
    "GLOB",
    "GROUP",
    "HAVING",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "NATURAL",
    "NOT",
    "NOTNULL",
    "NULL",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRIMARY",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "RIGHT",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TRIGGER",
    "TRUE",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Rewrite identifiers for another dialect. Quoted identifiers are always re-quoted;
/// an unquoted word is re-quoted when `known` (keyed by lower-case name) says it names
/// a table or column and it is not a function call, so that case-folding targets
/// (PostgreSQL folds unquoted names to lower case) find the exactly-named objects.
pub fn requote(sql: &str, known: &HashMap<String, String>, quote: &dyn Fn(&str) -> String) -> String {
    requote_booleans(sql, known, quote, &HashSet::new())
}

/// `requote`, and also: a comparison of one of the `booleans` columns (lower-case
/// names) with the integer 0 or 1 compares with FALSE / TRUE instead, and SQLite's `==`
/// becomes `=` — PostgreSQL has no boolean = integer operator.
pub fn requote_booleans(
    sql: &str,
    known: &HashMap<String, String>,
    quote: &dyn Fn(&str) -> String,
    booleans: &HashSet<String>,
) -> String {
    let tokens = tokenize(sql);
    let mut out = String::with_capacity(sql.len() + 16);
    let significant: Vec<usize> = (0..tokens.len()).filter(|i| !tokens[*i].is_trivia()).collect();
    let mut as_bool: HashSet<usize> = HashSet::new();
    let names_bool = |t: &Token| t.ident().is_some_and(|n| booleans.contains(&n.to_lowercase()));
    let is_01 = |t: &Token| t.kind == TokenKind::Number && (t.text == "0" || t.text == "1");
    for w in significant.windows(3) {
        let (a, op, b) = (&tokens[w[0]], &tokens[w[1]], &tokens[w[2]]);
        if ["=", "==", "<>", "!="].contains(&op.text) {
            if names_bool(a) && is_01(b) {
                as_bool.insert(w[2]);
            } else if is_01(a) && names_bool(b) {
                as_bool.insert(w[0]);
            }
        }
    }
    for (i, t) in tokens.iter().enumerate() {
        if as_bool.contains(&i) {
            out.push_str(if t.text == "1" { "TRUE" } else { "FALSE" });
            continue;
        }
        if !booleans.is_empty() && t.is_punct("==") {
            out.push('=');
            continue;
        }
        match t.kind {
            TokenKind::QuotedIdent => out.push_str(&quote(&unquote(t.text))),
            TokenKind::Word => {
                let next = tokens[i + 1..].iter().find(|n| !n.is_trivia());
                let is_call = next.is_some_and(|n| n.is_punct("("));
                let reserved = RESERVED.iter().any(|k| t.text.eq_ignore_ascii_case(k));
                match known.get(&t.text.to_lowercase()) {
                    Some(name) if !is_call && !reserved => out.push_str(&quote(name)),
                    _ => out.push_str(t.text),
                }
            }
            _ => out.push_str(t.text),
        }
    }
    out
}

/// What the CREATE TABLE text says that SQLite's pragmas do not.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TableText {
    /// CHECK constraints (column and table level), as `CHECK (...)` text.
    pub checks: Vec<String>,
    /// Generation expressions by column name.
    pub generated: Vec<(String, String)>,
    /// Parent tables of FOREIGN KEY / REFERENCES clauses marked DEFERRABLE, with the child columns.
    pub deferrable: Vec<(Vec<String>, String)>,
    /// `CONSTRAINT name UNIQUE (cols)` (or a column's `CONSTRAINT name UNIQUE`): the name an
    /// application's later migration looks the constraint up by.
    pub named_uniques: Vec<(String, Vec<String>)>,
    /// `CONSTRAINT name FOREIGN KEY (cols)` (or a column's `CONSTRAINT name REFERENCES`).
    pub named_foreign_keys: Vec<(String, Vec<String>)>,
    /// `CONSTRAINT name PRIMARY KEY …`: the primary key's name.
    pub named_primary_key: Option<String>,
}

const TABLE_CONSTRAINT_WORDS: [&str; 5] = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"];

/// Parse the parts of a CREATE TABLE statement that the pragmas do not report.
pub fn parse_create_table(sql: &str) -> TableText {
    let tokens: Vec<Token> = tokenize(sql).into_iter().filter(|t| !t.is_trivia()).collect();
    let mut text = TableText::default();
    let Some(open) = tokens.iter().position(|t| t.is_punct("(")) else {
        return text;
    };
    for def in split_top_level(&tokens[open + 1..]) {
        let Some(first) = def.first() else { continue };
        let table_level = first.kind == TokenKind::Word && TABLE_CONSTRAINT_WORDS.iter().any(|w| first.is_word(w));
        let column = if table_level { None } else { first.ident() };
        let mut k = if table_level { 0 } else { 1 };
        while k < def.len() {
            let t = &def[k];
            if t.is_word("CONSTRAINT") {
                if let (Some(name), Some(kind)) = (def.get(k + 1).and_then(Token::ident), def.get(k + 2)) {
                    let columns = match (&column, kind) {
                        (Some(c), _) => vec![c.clone()],
                        (None, _) => parenthesised_names(def, k + 2),
                    };
                    if kind.is_word("UNIQUE") {
                        text.named_uniques.push((name, columns));
                    } else if kind.is_word("FOREIGN") || kind.is_word("REFERENCES") {
                        text.named_foreign_keys.push((name, columns));
                    } else if kind.is_word("PRIMARY") {
                        text.named_primary_key = Some(name);
                    }
                }
            }
            if t.is_word("CHECK") {
                let (body, end) = parenthesised(def, k + 1);
                text.checks.push(format!("CHECK ({body})"));
                k = end;
                continue;
            }
            if t.is_word("AS") && def.get(k + 1).is_some_and(|n| n.is_punct("(")) {
                if let Some(col) = &column {
                    let (body, end) = parenthesised(def, k + 1);
                    text.generated.push((col.clone(), body));
                    k = end;
                    continue;
                }
            }
            if t.is_word("REFERENCES") {
                let parent = def.get(k + 1).and_then(Token::ident).unwrap_or_default();
                let deferrable = def[k..]
                    .windows(2)
                    .any(|w| w[0].is_word("DEFERRABLE") && !w.first().is_some_and(|p| p.is_word("NOT")))
                    && !def[k..].windows(2).any(|w| w[0].is_word("NOT") && w[1].is_word("DEFERRABLE"));
                if deferrable {
                    let children =
                        if table_level { fk_child_columns(def) } else { column.clone().into_iter().collect() };
                    text.deferrable.push((children, parent));
                }
            }
            k += 1;
        }
    }
    text
}

/// The names in the first parenthesised list at or after `from` (`UNIQUE (a, b)`,
/// `FOREIGN KEY (a, b)`).
fn parenthesised_names(def: &[Token], from: usize) -> Vec<String> {
    let Some(open) = def.iter().skip(from).position(|t| t.is_punct("(")).map(|p| p + from) else {
        return Vec::new();
    };
    def[open + 1..].iter().take_while(|t| !t.is_punct(")")).filter_map(Token::ident).collect()
}

/// `FOREIGN KEY (a, b)` child columns of a table-level constraint.
fn fk_child_columns(def: &[Token]) -> Vec<String> {
    let Some(p) = def.iter().position(|t| t.is_word("KEY")) else {
        return Vec::new();
    };
    let mut cols = Vec::new();
    for t in def.iter().skip(p + 2) {
        if t.is_punct(")") {
            break;
        }
        if let Some(id) = t.ident() {
            cols.push(id);
        }
    }
    cols
}

/// Split a token list at commas that are not inside parentheses, up to the closing one.
fn split_top_level<'t, 'a>(tokens: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            if depth == 0 {
                parts.push(&tokens[start..i]);
                return parts;
            }
            depth -= 1;
        } else if t.is_punct(",") && depth == 0 {
            parts.push(&tokens[start..i]);
            start = i + 1;
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// The text between the parenthesis at `open` and its match, and the index after it.
fn parenthesised(tokens: &[Token], open: usize) -> (String, usize) {
    if !tokens.get(open).is_some_and(|t| t.is_punct("(")) {
        return (String::new(), open);
    }
    let mut depth = 0usize;
    let mut body = String::new();
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
            if depth == 1 {
                continue;
            }
        } else if t.is_punct(")") {
            depth -= 1;
            if depth == 0 {
                return (body, i + 1);
            }
        }
        if !body.is_empty() && needs_space(&body, t) {
            body.push(' ');
        }
        body.push_str(t.text);
    }
    (body, tokens.len())
}

fn needs_space(body: &str, t: &Token) -> bool {
    let last = body.chars().last().unwrap_or(' ');
    !(last == '(' || t.is_punct(")") || t.is_punct(",") || t.is_punct("(") && last.is_alphanumeric())
}

/// The expressions of a CREATE INDEX statement's column list, in order, and its WHERE clause.
pub fn parse_create_index(sql: &str) -> (Vec<String>, Option<String>) {
    let tokens = tokenize(sql);
    let Some(open) = tokens.iter().position(|t| t.is_punct("(")) else {
        return (Vec::new(), None);
    };
    let mut depth = 0usize;
    let mut parts = vec![String::new()];
    let mut end = tokens.len();
    for (i, t) in tokens.iter().enumerate().skip(open) {
        if t.is_punct("(") {
            depth += 1;
            if depth == 1 {
                continue;
            }
        } else if t.is_punct(")") {
            depth -= 1;
            if depth == 0 {
                end = i + 1;
                break;
            }
        } else if t.is_punct(",") && depth == 1 {
            parts.push(String::new());
            continue;
        }
        if let Some(last) = parts.last_mut() {
            last.push_str(t.text);
        }
    }
    let parts = parts.into_iter().map(|p| p.trim().to_string()).collect();
    let rest = &tokens[end.min(tokens.len())..];
    let where_clause = rest.iter().position(|t| t.is_word("WHERE")).map(|w| {
        rest[w + 1..].iter().map(|t| t.text).collect::<String>().trim().trim_end_matches(';').trim().to_string()
    });
    (parts, where_clause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_every_quote_style_and_keeps_text() {
        let sql = "SELECT [a b], \"c\"\"d\", `e``f`, 'g''h', x'00ff', 1.5e3 -- note\nFROM t";
        let toks = tokenize(sql);
        let rebuilt: String = toks.iter().map(|t| t.text).collect();
        assert_eq!(rebuilt, sql);
        let idents: Vec<String> =
            toks.iter().filter(|t| t.kind == TokenKind::QuotedIdent).map(|t| unquote(t.text)).collect();
        assert_eq!(idents, vec!["a b", "c\"d", "e`f"]);
        let strings: Vec<&str> = toks.iter().filter(|t| t.kind == TokenKind::String).map(|t| t.text).collect();
        assert_eq!(strings, vec!["'g''h'", "x'00ff'"]);
        assert!(toks.iter().any(|t| t.kind == TokenKind::Number && t.text == "1.5e3"));
    }

    #[test]
    fn requote_quotes_known_names_but_not_functions_or_strings() {
        let known: HashMap<String, String> =
            [("album", "Album"), ("title", "Title")].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let out = requote("SELECT title, upper(Title) AS [t x] FROM Album WHERE title <> 'album'", &known, &q);
        assert_eq!(out, "SELECT \"Title\", upper(\"Title\") AS \"t x\" FROM \"Album\" WHERE \"Title\" <> 'album'");
    }

    #[test]
    fn keywords_are_never_requoted_even_when_a_table_has_their_name() {
        let known: HashMap<String, String> = [("select", "select"), ("from", "from"), ("order", "order")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let q = |s: &str| format!("`{s}`");
        assert_eq!(
            requote("SELECT \"select\" FROM \"order\" ORDER BY 1", &known, &q),
            "SELECT `select` FROM `order` ORDER BY 1"
        );
    }

    #[test]
    fn boolean_comparisons_become_true_false() {
        let known: HashMap<String, String> = [("revoked".to_string(), "revoked".to_string())].into_iter().collect();
        let bools: HashSet<String> = ["revoked".to_string()].into_iter().collect();
        let q = |s: &str| format!("\"{s}\"");
        assert_eq!(
            requote_booleans("revoked = 0 AND 1 == revoked AND n = 1", &known, &q, &bools),
            "\"revoked\" = FALSE AND TRUE = \"revoked\" AND n = 1"
        );
    }

    #[test]
    fn create_table_checks_generated_and_deferrable() {
        let sql = r#"CREATE TABLE "order" (
            id INTEGER PRIMARY KEY,
            qty INT CHECK (qty > 0),
            total REAL GENERATED ALWAYS AS (qty * 2.5) STORED,
            user_id INT REFERENCES users(id) DEFERRABLE INITIALLY DEFERRED,
            a INT, b INT,
            CONSTRAINT ck CHECK (a < b),
            FOREIGN KEY (a, b) REFERENCES pairs (x, y) NOT DEFERRABLE
        )"#;
        let t = parse_create_table(sql);
        assert_eq!(t.checks, vec!["CHECK (qty > 0)", "CHECK (a < b)"]);
        assert_eq!(t.generated, vec![("total".to_string(), "qty * 2.5".to_string())]);
        assert_eq!(t.deferrable, vec![(vec!["user_id".to_string()], "users".to_string())]);
    }

    #[test]
    fn create_index_expressions_and_where() {
        let (cols, w) = parse_create_index("CREATE UNIQUE INDEX ix ON t (lower(name), \"b\" DESC) WHERE deleted = 0;");
        assert_eq!(cols, vec!["lower(name)", "\"b\" DESC"]);
        assert_eq!(w.as_deref(), Some("deleted = 0"));
    }
}
