//! The rule book and the code agree. `docs/rules.md` defines the design
//! rules D1–D16 and the catalogue rows (`SMG-15`, `PIP-07`, …) that the code
//! and the tests cite; this module reads the repository at test time and
//! checks that:
//!
//! - every rule cited (`D` and a number, as a whole word: "rule D8",
//!   "(D13)", "D7/D13") is one of D1–D16 and has its heading in the book;
//! - every row cited (a catalogue prefix, `-`, two digits, an optional
//!   sub-row letter; lists such as `SMG-01..05`, `EXT-06/07/10`,
//!   `CMD-05, -08`; a function named `smg01_…`) is a row of the catalogue;
//!   a row cited without a letter also stands for all its lettered sub-rows;
//! - every relative link in `docs/*.md` points at a file that exists, every
//!   `#anchor` at a heading, and every link whose text is an item in
//!   backticks at a file that defines that item;
//! - every rule has a **Where** part with a link into `src/` and one into
//!   `tests/`, and every row lists at least one test.
//!
//! The prefixes are taken from the catalogue's tables, so `UTF-8`,
//! `SHA-256` or `CVE-2023-51764` are never mistaken for rows. A failure
//! lists every problem as `file:line: what`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The rule book, relative to the root.
const BOOK: &str = "docs/rules.md";
/// The design rules that exist.
const RULES: std::ops::RangeInclusive<u32> = 1..=16;
/// Where citations are looked for, relative to the root: files, or
/// directories walked for `.rs` and `.md` files (hidden directories and
/// `target/` skipped).
const SCANNED: [&str; 8] = [
    "src",
    "tests",
    "fuzz/src",
    "fuzz/fuzz_targets",
    "examples",
    "benches",
    "docs",
    "README.md",
];

// ------------------------------------------------------------ citations

/// A catalogue row (`SMG-05`), or one of its sub-rows (the same with a
/// lower-case letter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct RowId {
    prefix: [u8; 3],
    number: u8,
    letter: Option<u8>,
}

impl fmt::Display for RowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = String::from_utf8_lossy(&self.prefix);
        write!(f, "{p}-{:02}", self.number)?;
        if let Some(l) = self.letter {
            write!(f, "{}", char::from(l))?;
        }
        Ok(())
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether position `i` of `b` is the end of a word (or of the text).
fn ends_word(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|&c| !is_word(c))
}

/// Whether position `i` of `b` starts a word.
fn starts_word(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

/// 1-based line of byte `i`.
fn line_of(b: &[u8], i: usize) -> usize {
    1 + b[..i].iter().filter(|&&c| c == b'\n').count()
}

/// Every rule citation in `text`: (line, number).
fn rule_citations(text: &str) -> Vec<(usize, u32)> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    for i in 0..b.len() {
        if b[i] != b'D' || !starts_word(b, i) {
            continue;
        }
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || !ends_word(b, i + 1 + digits) {
            continue;
        }
        let n = text[i + 1..i + 1 + digits].parse().unwrap_or(u32::MAX);
        found.push((line_of(b, i), n));
    }
    found
}

/// Two digits and an optional lower-case letter at `i`, ending a word:
/// (number, letter, end).
fn row_number(b: &[u8], i: usize) -> Option<(u8, Option<u8>, usize)> {
    let d = b.get(i..i + 2)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let number = (d[0] - b'0') * 10 + (d[1] - b'0');
    match b.get(i + 2) {
        Some(&l) if l.is_ascii_lowercase() && ends_word(b, i + 3) => Some((number, Some(l), i + 3)),
        _ if ends_word(b, i + 2) => Some((number, None, i + 2)),
        _ => None,
    }
}

/// After `,` in a list: white space and comment markers, then `-`.
fn list_dash(b: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match b.get(i)? {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i += 2;
                while matches!(b.get(i), Some(b'/' | b'!')) {
                    i += 1;
                }
            }
            b'-' => return Some(i + 1),
            _ => return None,
        }
    }
}

/// Every row citation in `text` with one of `prefixes`: (line, row). A
/// list or range names each number it writes: `SMG-01..05` names SMG-01
/// and SMG-05, `EXT-06/07/10` three rows, `CMD-05, -08` two.
fn row_citations(text: &str, prefixes: &BTreeSet<[u8; 3]>) -> Vec<(usize, RowId)> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    for i in 0..b.len() {
        let Some(head) = b.get(i..i + 4) else { break };
        if !starts_word(b, i) || head[3] != b'-' || !head[..3].iter().all(u8::is_ascii_uppercase) {
            continue;
        }
        let prefix = [head[0], head[1], head[2]];
        if !prefixes.contains(&prefix) {
            continue;
        }
        let Some((number, letter, mut end)) = row_number(b, i + 4) else {
            continue;
        };
        found.push((
            line_of(b, i),
            RowId {
                prefix,
                number,
                letter,
            },
        ));
        loop {
            let next = match b.get(end) {
                Some(b'.') if b.get(end + 1) == Some(&b'.') => Some(end + 2),
                Some(b'/') => Some(end + 1),
                Some(b',') => list_dash(b, end + 1),
                _ => None,
            };
            let Some((number, letter, after)) = next.and_then(|at| row_number(b, at)) else {
                break;
            };
            let at = next.unwrap_or(end);
            found.push((
                line_of(b, at),
                RowId {
                    prefix,
                    number,
                    letter,
                },
            ));
            end = after;
        }
    }
    found
}

/// Rows cited by function names: `fn smg01_…`, `fn cmd_12_paths`.
fn fn_name_citations(text: &str, prefixes: &BTreeSet<[u8; 3]>) -> Vec<(usize, RowId)> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find("fn ") {
        let at = from + k;
        from = at + 3;
        if !starts_word(b, at) {
            continue;
        }
        let name: Vec<u8> = b[at + 3..]
            .iter()
            .copied()
            .take_while(|&c| is_word(c))
            .collect();
        if name.len() < 5 || !name[..3].iter().all(u8::is_ascii_lowercase) {
            continue;
        }
        let prefix = [name[0], name[1], name[2]].map(|c| c.to_ascii_uppercase());
        if !prefixes.contains(&prefix) {
            continue;
        }
        let digits = if name[3] == b'_' { 4 } else { 3 };
        // `row_number` wants a word end after the number: a `_` is none.
        let tail: Vec<u8> = name[digits..]
            .iter()
            .map(|&c| if c == b'_' { b' ' } else { c })
            .collect();
        if let Some((number, letter, _)) = row_number(&tail, 0) {
            found.push((
                line_of(b, at),
                RowId {
                    prefix,
                    number,
                    letter,
                },
            ));
        }
    }
    found
}

// ------------------------------------------------------------- the book

/// A design rule's definition: its line and its section's text.
struct Section {
    line: usize,
    text: String,
}

/// What `docs/rules.md` defines.
struct Book {
    /// Design rules by number.
    rules: BTreeMap<u32, Section>,
    /// Catalogue rows (the first cell of a table row).
    rows: BTreeSet<RowId>,
    /// The prefixes the rows use.
    prefixes: BTreeSet<[u8; 3]>,
    /// Rows and the line of their test list (`- **SMG-01**: …`), if any.
    tested: BTreeMap<RowId, (usize, String)>,
}

/// A markdown heading: (level, title).
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&c| c == b'#').count();
    let title = line.get(level..)?.strip_prefix(' ')?;
    (level > 0).then_some((level, title.trim()))
}

/// The rule a line defines: a heading `### D8. …` or a bold `**D8. …`.
fn rule_defined(line: &str) -> Option<(usize, u32)> {
    let (level, rest) = match heading(line) {
        Some((level, title)) => (level, title),
        None => (usize::MAX, line.strip_prefix("**")?),
    };
    let (n, _) = rest.strip_prefix('D')?.split_once(". ")?;
    Some((level, n.parse().ok()?))
}

/// A whole row ID, with or without a sub-row letter.
fn parse_row(s: &str) -> Option<RowId> {
    let b = s.as_bytes();
    if b.len() < 6 || b[3] != b'-' || !b[..3].iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let (number, letter, end) = row_number(b, 4)?;
    (end == b.len()).then_some(RowId {
        prefix: [b[0], b[1], b[2]],
        number,
        letter,
    })
}

impl Book {
    fn parse(text: &str) -> Book {
        let lines: Vec<&str> = text.lines().collect();
        let mut rules = BTreeMap::new();
        let mut rows = BTreeSet::new();
        let mut tested = BTreeMap::new();
        for (i, line) in lines.iter().enumerate() {
            if let Some((level, n)) = rule_defined(line) {
                // The section runs to the next heading of its level or
                // above, or to the next rule.
                let end = lines[i + 1..]
                    .iter()
                    .position(|l| {
                        heading(l).is_some_and(|(lv, _)| lv <= level) || rule_defined(l).is_some()
                    })
                    .map_or(lines.len(), |k| i + 1 + k);
                let text = lines[i..end].join("\n");
                rules.insert(n, Section { line: i + 1, text });
            }
            if let Some(cell) = line.strip_prefix('|').and_then(|l| l.split('|').next())
                && let Some(id) = parse_row(cell.trim())
            {
                rows.insert(id);
            }
            if let Some(rest) = line.strip_prefix("- **")
                && let Some((id, _)) = rest.split_once("**")
                && let Some(id) = parse_row(id)
            {
                tested.insert(id, (i + 1, line.to_string()));
            }
        }
        let prefixes = rows.iter().map(|r| r.prefix).collect();
        Book {
            rules,
            rows,
            prefixes,
            tested,
        }
    }

    /// Whether a cited row is in the catalogue: exactly, or, cited without
    /// a letter, as a row split into lettered sub-rows.
    fn has_row(&self, id: RowId) -> bool {
        self.rows.contains(&id)
            || (id.letter.is_none()
                && self
                    .rows
                    .iter()
                    .any(|r| r.prefix == id.prefix && r.number == id.number))
    }
}

// ----------------------------------------------------------------- links

/// GitHub's anchor for a heading.
fn slug(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown text's headings (`-1`, `-2` for repeats).
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for (_, title) in text.lines().filter_map(heading) {
        let s = slug(title);
        let n = seen.entry(s.clone()).or_insert(0);
        all.insert(if *n == 0 {
            s.clone()
        } else {
            format!("{s}-{n}")
        });
        *n += 1;
    }
    all
}

/// The inline links of a markdown text: (line, text, target).
fn links(text: &str) -> Vec<(usize, &str, &str)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut from = 0;
        while let Some(k) = line[from..].find("](") {
            let close = from + k;
            from = close + 2;
            let (Some(open), Some(len)) = (line[..close].rfind('['), line[from..].find(')')) else {
                continue;
            };
            found.push((i + 1, &line[open + 1..close], &line[from..from + len]));
        }
    }
    found
}

/// The item a link's text names: `` `DotUnstuffer::feed` `` → its path.
fn item_named(text: &str) -> Option<Vec<&str>> {
    let inner = text.strip_prefix('`')?.strip_suffix('`')?;
    let inner = inner.strip_suffix("()").unwrap_or(inner);
    let parts: Vec<&str> = inner.split("::").collect();
    let ident = |p: &&str| {
        p.bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
            && p.bytes().all(is_word)
    };
    parts.iter().all(ident).then_some(parts)
}

/// Whether `word` occurs in `text` as a whole word.
fn has_word(text: &str, word: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices(word)
        .any(|(i, _)| starts_word(b, i) && ends_word(b, i + word.len()))
}

/// Whether Rust source `text` defines `name`: an item, or (a capitalised
/// name) an enum variant.
fn defines(text: &str, name: &str) -> bool {
    let items = [
        "fn", "struct", "enum", "const", "static", "trait", "type", "mod", "union",
    ];
    let b = text.as_bytes();
    let item = items.iter().any(|kw| {
        let pat = format!("{kw} {name}");
        text.match_indices(&pat)
            .any(|(i, _)| starts_word(b, i) && ends_word(b, i + pat.len()))
    });
    let capital = name.starts_with(|c: char| c.is_ascii_uppercase());
    let variant = capital
        && text.lines().any(|l| {
            l.trim_start().strip_prefix(name).is_some_and(|rest| {
                rest.is_empty()
                    || [",", "(", " {", " =", "{"]
                        .iter()
                        .any(|s| rest.starts_with(s))
            })
        });
    item || variant || text.contains(&format!("macro_rules! {name}"))
}

/// Checks the links of the markdown file `name` (relative to the root).
fn check_links(name: &str, text: &str, problems: &mut Vec<String>) {
    let dir = Path::new(ROOT).join(name);
    let dir = dir.parent().unwrap_or(Path::new(ROOT));
    let own = anchors(text);
    for (line, label, target) in links(text) {
        let at = format!("{name}:{line}");
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|s| target.starts_with(s))
        {
            continue;
        }
        let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
        let file = dir.join(path);
        if !path.is_empty() && !file.exists() {
            problems.push(format!("{at}: link to {target}: no such file"));
            continue;
        }
        if !anchor.is_empty() {
            let found = if path.is_empty() {
                own.contains(anchor)
            } else if path.ends_with(".md") {
                anchors(&read(&file)).contains(anchor)
            } else {
                problems.push(format!(
                    "{at}: link to {target}: anchors only into markdown"
                ));
                continue;
            };
            if !found {
                problems.push(format!("{at}: link to {target}: no heading #{anchor}"));
            }
        }
        if let Some(parts) = item_named(label) {
            if path.ends_with(".rs") {
                let source = read(&file);
                let (last, outer) = parts.split_last().unwrap_or((&"", &[]));
                if !defines(&source, last) || !outer.iter().all(|p| has_word(&source, p)) {
                    problems.push(format!("{at}: {label} is not defined in {path}"));
                }
            } else if file.is_dir() {
                // An item named by a link lives in a file, not a folder.
                problems.push(format!(
                    "{at}: {label} links the folder {path}, not the file that defines it"
                ));
            }
        }
    }
}

// ------------------------------------------------------------ the checks

fn read(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `.rs` and `.md` files under `path` (or `path` itself), sorted.
fn walk(path: &Path, files: &mut Vec<PathBuf>) {
    if path.is_file() {
        files.push(path.to_path_buf());
        return;
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let source = p.extension().is_some_and(|e| e == "rs" || e == "md");
        if p.is_dir() || source {
            walk(&p, files);
        }
    }
}

/// Every scanned file: (path relative to the root, text).
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for p in SCANNED {
        walk(&Path::new(ROOT).join(p), &mut files);
    }
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(ROOT).unwrap_or(f);
            let rel = rel.to_string_lossy().replace('\\', "/");
            (rel, read(f))
        })
        .collect()
}

fn book() -> (String, Book) {
    let text = read(&Path::new(ROOT).join(BOOK));
    let book = Book::parse(&text);
    (text, book)
}

/// How many citations were checked.
#[derive(Debug, Default)]
struct Counts {
    rules: usize,
    rows: usize,
}

/// Checks every citation in `sources` against `book`.
fn check_citations(book: &Book, sources: &[(String, String)]) -> (Vec<String>, Counts) {
    let mut problems = Vec::new();
    let mut counts = Counts::default();
    for (file, text) in sources {
        for (line, n) in rule_citations(text) {
            counts.rules += 1;
            if !RULES.contains(&n) {
                problems.push(format!("{file}:{line}: D{n} is not a design rule (D1–D16)"));
            } else if !book.rules.contains_key(&n) {
                problems.push(format!("{file}:{line}: D{n} is not defined in {BOOK}"));
            }
        }
        let mut rows = row_citations(text, &book.prefixes);
        rows.extend(fn_name_citations(text, &book.prefixes));
        for (line, id) in rows {
            counts.rows += 1;
            if !book.has_row(id) {
                problems.push(format!(
                    "{file}:{line}: {id} is not a row of the catalogue in {BOOK}"
                ));
            }
        }
    }
    (problems, counts)
}

/// Checks that the book defines D1–D16 and nothing else, each with a
/// **Where** part linking into `src/` and `tests/`, and that every row has
/// a test list with a link into `tests/`.
fn check_book(book: &Book) -> Vec<String> {
    let mut problems = Vec::new();
    for (n, s) in &book.rules {
        if !RULES.contains(n) {
            problems.push(format!(
                "{BOOK}:{}: defines D{n}, but only D1–D16 exist",
                s.line
            ));
        }
    }
    for n in RULES {
        let Some(s) = book.rules.get(&n) else {
            problems.push(format!(
                "{BOOK}: D{n} is not defined (no `### D{n}. …` heading)"
            ));
            continue;
        };
        let Some((_, place)) = s.text.split_once("**Where.**") else {
            problems.push(format!("{BOOK}:{}: D{n} has no **Where.** part", s.line));
            continue;
        };
        let targets: Vec<&str> = links(place).into_iter().map(|(_, _, t)| t).collect();
        if !targets.iter().any(|t| t.starts_with("../src/")) {
            problems.push(format!(
                "{BOOK}:{}: D{n} links to no enforcement in src/",
                s.line
            ));
        }
        if !targets.iter().any(|t| t.starts_with("../tests/")) {
            problems.push(format!(
                "{BOOK}:{}: D{n} links to no test in tests/",
                s.line
            ));
        }
    }
    for id in &book.rows {
        match book.tested.get(id) {
            Some((_, line)) if line.contains("](../tests/") => {}
            Some((n, _)) => problems.push(format!("{BOOK}:{n}: {id} lists no test in tests/")),
            None => problems.push(format!("{BOOK}: {id} has no `- **{id}**: …` test list")),
        }
    }
    problems
}

fn report(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} {what}:\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

#[test]
fn every_cited_rule_and_row_is_in_the_book() {
    let (_, book) = book();
    let sources = sources();
    let (problems, _) = check_citations(&book, &sources);
    report("unresolved citations", &problems);
    // The walk reached the code and the tests, and found citations there.
    for dir in ["src/", "tests/"] {
        let here: Vec<_> = sources
            .iter()
            .filter(|(f, _)| f.starts_with(dir))
            .cloned()
            .collect();
        let (_, counts) = check_citations(&book, &here);
        assert!(
            counts.rules > 0 && counts.rows > 0,
            "no citations found in {dir}: {counts:?}"
        );
    }
}

#[test]
fn every_link_in_the_docs_resolves() {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    walk(&Path::new(ROOT).join("docs"), &mut files);
    for f in &files {
        if f.extension().is_some_and(|e| e == "md") {
            let rel = f
                .strip_prefix(ROOT)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/");
            check_links(&rel, &read(f), &mut problems);
        }
    }
    report("broken links", &problems);
}

#[test]
fn every_rule_says_where_it_is_enforced_and_tested_and_every_row_its_tests() {
    let (_, book) = book();
    assert!(!book.rows.is_empty(), "no catalogue rows in {BOOK}");
    report("gaps in the book", &check_book(&book));
}

// ------------------------------------------- the checker checks itself
//
// Citations that must not resolve are assembled at run time (`concat!`,
// `format!`) so that this file itself cites only rules and rows that exist.

fn prefixes(list: &[&str]) -> BTreeSet<[u8; 3]> {
    list.iter()
        .map(|p| <[u8; 3]>::try_from(p.as_bytes()).expect("three letters"))
        .collect()
}

/// `D` and `n`, written so that this file does not cite it.
fn rule(n: u32) -> String {
    format!("{}{n}", 'D')
}

fn row(s: &str) -> RowId {
    parse_row(s).unwrap_or_else(|| panic!("not a row id: {s}"))
}

#[test]
fn rule_citations_are_whole_words() {
    let text = "rule D8, (D13), rules D1, D2 and D7/D13; D1–D16\n\
                0xD1 D2D u64::MAX D_1 App. D.1 ID3 D";
    let found: Vec<u32> = rule_citations(text).iter().map(|&(_, n)| n).collect();
    assert_eq!(found, [8, 13, 1, 2, 7, 13, 1, 16]);
    let outside = format!("one\n{} and {}", rule(17), rule(0));
    assert_eq!(rule_citations(&outside), [(2, 17), (2, 0)]);
}

#[test]
fn row_citations_follow_lists_and_skip_look_alikes() {
    let p = prefixes(&["SMG", "EXT", "CMD"]);
    let text = concat!(
        "SMG-01..05, EXT-06/07/10 and CMD-05, -08,\n",
        "//! -12; UTF-8 SHA-256 CVE-2023-51764 ABC-01 SMG-123 SMG-05ab ",
        "SMG-01",
        "a"
    );
    let found: Vec<(usize, String)> = row_citations(text, &p)
        .iter()
        .map(|(l, id)| (*l, id.to_string()))
        .collect();
    let expected: Vec<(usize, String)> = [
        (1, "SMG-01"),
        (1, "SMG-05"),
        (1, "EXT-06"),
        (1, "EXT-07"),
        (1, "EXT-10"),
        (1, "CMD-05"),
        (1, "CMD-08"),
        (2, "CMD-12"),
        (2, concat!("SMG-01", "a")),
    ]
    .iter()
    .map(|(l, s)| (*l, s.to_string()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn test_names_cite_rows() {
    let p = prefixes(&["SMG", "CMD", "TLS", "PIP"]);
    let text = "fn smg01_x() {}\nfn cmd_12_paths() {}\nfn tls_config() {}\n\
                fn pipelined_lines() {}\nfn d13_budget() {}\nfn tls12_no_second() {}";
    let found: Vec<(usize, String)> = fn_name_citations(text, &p)
        .iter()
        .map(|(l, id)| (*l, id.to_string()))
        .collect();
    assert_eq!(
        found,
        [(1, "SMG-01"), (2, "CMD-12"), (6, "TLS-12")].map(|(l, s)| (l, s.to_string()))
    );
}

#[test]
fn a_row_cited_without_its_letter_stands_for_its_sub_rows() {
    let text = concat!(
        "| ID |\n|---|\n| SMG-01 |\n| SMG-05",
        "a |\n| SMG-05",
        "b |\n"
    );
    let book = Book::parse(text);
    assert_eq!(book.rows.len(), 3);
    assert!(book.has_row(row("SMG-05")));
    assert!(book.has_row(row(concat!("SMG-05", "a"))));
    assert!(!book.has_row(row(concat!("SMG-05", "c"))));
    assert!(book.has_row(row("SMG-01")));
    assert!(!book.has_row(row(concat!("SMG-01", "a"))));
    assert!(!book.has_row(row(concat!("SMG-0", "2"))));
}

#[test]
fn a_bad_citation_is_reported_with_its_file_and_line() {
    let (_, book) = book();
    let scratch = format!(
        "// rule D8 and SMG-01 exist\n// but not {} nor {}\n// nor {}\n",
        rule(17),
        concat!("SMG-", "99"),
        concat!("TLS-09", "z"),
    );
    let (problems, counts) = check_citations(&book, &[("scratch.rs".to_string(), scratch)]);
    assert_eq!((counts.rules, counts.rows), (2, 3));
    assert_eq!(
        problems,
        [
            format!("scratch.rs:2: {} is not a design rule (D1–D16)", rule(17)),
            format!(
                "scratch.rs:2: {} is not a row of the catalogue in {BOOK}",
                concat!("SMG-", "99")
            ),
            format!(
                "scratch.rs:3: {} is not a row of the catalogue in {BOOK}",
                concat!("TLS-09", "z")
            ),
        ]
    );
}

#[test]
fn a_broken_link_or_a_missing_item_is_reported() {
    let text = "# Top\n\
                [ok](../src/lib.rs) [`Server::feed`](../src/server/session.rs) [top](#top)\n\
                [gone](../src/nope.rs) [`Server::fly`](../src/server/session.rs)\n\
                [nowhere](#nowhere) [line](../src/lib.rs#L1)\n";
    let mut problems = Vec::new();
    check_links("docs/scratch.md", text, &mut problems);
    assert_eq!(
        problems,
        [
            "docs/scratch.md:3: link to ../src/nope.rs: no such file",
            "docs/scratch.md:3: `Server::fly` is not defined in ../src/server/session.rs",
            "docs/scratch.md:4: link to #nowhere: no heading #nowhere",
            "docs/scratch.md:4: link to ../src/lib.rs#L1: anchors only into markdown",
        ]
    );
}

#[test]
fn a_rule_without_its_where_part_is_reported() {
    let text = format!(
        "## Rules\n\n### D1. One\n\nText.\n\n**Where.**\n- [a](../src/lib.rs)\n\n\
         ### D2. Two\n\nNo links.\n\n**{}. Extra.** Bold.\n",
        rule(17)
    );
    let problems = check_book(&Book::parse(&text));
    let d17 = rule(17);
    assert!(problems.contains(&format!("{BOOK}:3: D1 links to no test in tests/")));
    assert!(problems.contains(&format!("{BOOK}:10: D2 has no **Where.** part")));
    assert!(problems.contains(&format!("{BOOK}:14: defines {d17}, but only D1–D16 exist")));
    assert!(problems.iter().any(|p| p.contains("D16 is not defined")));
    // D3 to D16 are missing, D1 and D2 incomplete, one rule too many.
    assert_eq!(problems.len(), 14 + 2 + 1);
}

// ------------------------------------------------------------ layers

/// The layers of `src/`, bottom up, with the ones each may use (README,
/// "How the code is laid out"): `syntax` ← `wire` ← `sasl` ← the engines ←
/// `io`; `message` uses `syntax` and `wire` only, and only `io` uses it.
const LAYERS: [(&str, &[&str]); 7] = [
    ("syntax", &[]),
    ("wire", &["syntax"]),
    ("sasl", &["syntax", "wire"]),
    ("message", &["syntax", "wire"]),
    ("server", &["syntax", "wire", "sasl"]),
    ("client", &["syntax", "wire", "sasl"]),
    (
        "io",
        &["syntax", "wire", "sasl", "server", "client", "message"],
    ),
];

/// Every `crate::<layer>` path in code (comments and doc comments apart)
/// of each layer names itself or a layer it may use: data flows one way
/// and no module imports one that imports it back.
#[test]
fn imports_follow_the_layers() {
    let mut problems = Vec::new();
    for (layer, allowed) in LAYERS {
        let dir = Path::new(ROOT).join("src").join(layer);
        let mut files = Vec::new();
        if dir.is_dir() {
            walk(&dir, &mut files);
        } else {
            files.push(dir.with_extension("rs"));
        }
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        {
            let text = std::fs::read_to_string(file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for (i, _) in code.match_indices("crate::") {
                    let used: String = code[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    let known = LAYERS.iter().any(|(l, _)| *l == used);
                    if known && used != layer && !allowed.contains(&used.as_str()) {
                        problems.push(format!(
                            "{}:{}: {layer} uses crate::{used}",
                            file.strip_prefix(ROOT).unwrap().display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
