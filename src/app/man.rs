//! `senderzone man`: the manual pages, made from what `--help` is made
//! of, and the inventory reference, made from the README's.
//!
//! senderzone(1) and one senderzone-COMMAND(1) per command come from the
//! clap definitions of [`crate::cli`] through clap_mangen, so they cannot
//! drift from `--help`. senderzone-inventory(5) is the README's section
//! "The inventory", between its two `senderzone-inventory(5)` markers,
//! turned from Markdown into roff here: one text for both.

use clap::CommandFactory;
use clap_mangen::roff::{Inline, Roff, bold, roman};

use super::config::Man;
use super::{Error, Streams, out};
use crate::cli::Cli;
use crate::exit;

/// The README, whose inventory section is senderzone-inventory(5).
const README: &str = include_str!("../../README.md");
/// The line that starts the inventory reference in the README.
const BEGIN: &str = "<!-- senderzone-inventory(5) begins";
/// The line that ends it.
const END: &str = "<!-- senderzone-inventory(5) ends";

/// The page name `man inventory` prints.
const INVENTORY: &str = "inventory";

/// Runs `man`.
pub fn run(config: &Man, streams: &mut Streams<'_>) -> Result<u8, Error> {
    match config {
        Man::Print(path) => {
            let page = page(path)?;
            streams.out.write_all(&page).map_err(Error::Output)?;
        }
        Man::Write { dir, verbosity } => {
            for path in out::write_files(dir, all_pages())? {
                if !verbosity.is_quiet() {
                    writeln!(streams.err, "wrote {}", path.display()).map_err(Error::Stderr)?;
                }
            }
        }
    }
    Ok(exit::OK)
}

/// senderzone's command tree as the pages show it: built (so that each
/// command knows its full name) and without clap's `help` command, which
/// has no page.
fn command() -> clap::Command {
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    command
}

/// The page `path` names: the main page when empty, `inventory`, or a
/// command by its words (`spf check`, `spf-check`).
fn page(path: &[String]) -> Result<Vec<u8>, Error> {
    let words: Vec<&str> = path
        .iter()
        .flat_map(|word| word.split(|c: char| c.is_whitespace() || c == '-'))
        .filter(|word| !word.is_empty())
        .skip_while(|word| *word == "senderzone")
        .collect();
    if words == [INVENTORY] {
        return Ok(inventory_page());
    }
    let root = command();
    let mut found = &root;
    for word in &words {
        found = found.find_subcommand(word).ok_or_else(|| {
            let mut names = Vec::new();
            every_command(&root, &mut |command| {
                if command.get_name() != root.get_name() {
                    names.push(page_name(command)["senderzone-".len()..].replace('-', " "));
                }
            });
            Error::UnknownPage {
                page: words.join(" "),
                accepted: names.join(", "),
            }
        })?;
    }
    Ok(command_page(found, &root))
}

/// Every page: `(file name, roff)`, the main page first.
fn all_pages() -> Vec<(String, Vec<u8>)> {
    let root = command();
    let mut pages = Vec::new();
    every_command(&root, &mut |command| {
        pages.push((
            format!("{}.1", page_name(command)),
            command_page(command, &root),
        ));
    });
    pages.push((format!("senderzone-{INVENTORY}.5"), inventory_page()));
    pages
}

/// Calls `visit` for `command` and every command below it, parents first.
fn every_command(command: &clap::Command, visit: &mut dyn FnMut(&clap::Command)) {
    visit(command);
    for sub in command.get_subcommands() {
        every_command(sub, visit);
    }
}

/// `senderzone`, `senderzone-spf-check`: the page's name, which clap
/// gives a built subcommand as its display name.
fn page_name(command: &clap::Command) -> &str {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
}

/// A command's page: clap_mangen's sections, then the examples and exit
/// codes of its `--help` epilogue kept as laid out there, then SEE ALSO.
fn command_page(command: &clap::Command, root: &clap::Command) -> Vec<u8> {
    let epilogue = command.get_after_help().map(ToString::to_string);
    let mut page = Vec::new();
    // Writing to memory cannot fail.
    clap_mangen::Man::new(command.clone().after_help(None::<&str>))
        .source(format!("senderzone {}", env!("CARGO_PKG_VERSION")))
        .render(&mut page)
        .expect("a page renders into memory");
    let mut roff = Roff::new();
    if let Some(epilogue) = epilogue {
        epilogue_sections(&mut roff, &epilogue);
    }
    roff.control("SH", ["SEE ALSO"]);
    let mut see_also = Vec::new();
    if command.get_name() == root.get_name() {
        every_command(root, &mut |other| {
            if other.get_name() != root.get_name() {
                see_also.push(format!("{}(1)", page_name(other)));
            }
        });
    } else {
        see_also.push("senderzone(1)".to_owned());
    }
    see_also.push(format!("senderzone-{INVENTORY}(5)"));
    roff.text([roman(see_also.join(", "))]);
    page.extend_from_slice(roff.to_roff().as_bytes());
    page
}

/// The `--help` epilogue as sections: each block of lines starting
/// `Heading:` becomes a section; what follows on the heading's line is a
/// paragraph, the lines below it are kept as written (examples, tables).
fn epilogue_sections(roff: &mut Roff, epilogue: &str) {
    for block in epilogue.split("\n\n") {
        let mut lines = block.lines();
        let Some(first) = lines.next() else {
            continue;
        };
        let (heading, rest) = first.split_once(':').unwrap_or(("Notes", first));
        roff.control("SH", [heading.to_uppercase().as_str()]);
        let mut paragraph = rest.trim().to_owned();
        let verbatim: Vec<&str> = lines.collect();
        if verbatim.iter().all(|line| !line.starts_with(' ')) {
            // A paragraph wrapped to fit `--help`: let roff fill it.
            for line in &verbatim {
                paragraph.push(' ');
                paragraph.push_str(line.trim());
            }
            roff.text([roman(paragraph)]);
            continue;
        }
        if !paragraph.is_empty() {
            roff.text([roman(paragraph)]);
        }
        roff.control("nf", []);
        for line in verbatim {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
    }
}

/// The README's inventory reference between its markers.
fn inventory_markdown() -> &'static str {
    let start = README
        .find(BEGIN)
        .and_then(|at| README[at..].find('\n').map(|end| at + end + 1))
        .expect("README.md holds the senderzone-inventory(5) begin marker");
    let end = README[start..]
        .find(END)
        .map(|at| start + at)
        .expect("README.md holds the senderzone-inventory(5) end marker");
    &README[start..end]
}

/// senderzone-inventory(5).
fn inventory_page() -> Vec<u8> {
    let mut roff = Roff::new();
    let version = format!("senderzone {}", env!("CARGO_PKG_VERSION"));
    roff.control("TH", ["senderzone-inventory", "5", "", &version]);
    roff.control("SH", ["NAME"]);
    roff.text([roman(
        "senderzone-inventory - the YAML inventory senderzone generates and verifies records from",
    )]);
    roff.control("SH", ["SYNOPSIS"]);
    roff.text([
        bold("senderzone generate"),
        roman(" ["),
        bold("senderzone.yaml"),
        roman("]"),
    ]);
    markdown_to_roff(&mut roff, inventory_markdown());
    roff.control("SH", ["SEE ALSO"]);
    roff.text([roman(
        "senderzone(1), senderzone-init(1), senderzone-generate(1), senderzone-verify(1)",
    )]);
    roff.render().into_bytes()
}

/// The Markdown the README's reference uses, as roff: `##`/`###`
/// headings, paragraphs, fenced code, tables (a term per row) and `-`
/// lists, with `code`, **bold** and [links](url) inline.
fn markdown_to_roff(roff: &mut Roff, markdown: &str) {
    let mut lines = markdown.lines().peekable();
    let mut described = false;
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(heading) = trimmed.trim_start_matches('#').strip_prefix(' ')
            && trimmed.starts_with('#')
        {
            roff.control("SH", [heading.trim_matches('`').to_uppercase().as_str()]);
            described = true;
            continue;
        }
        if !described {
            roff.control("SH", ["DESCRIPTION"]);
            described = true;
        }
        if trimmed.starts_with("```") {
            roff.control("PP", []);
            roff.control("nf", []);
            roff.control("RS", ["4"]);
            for code in lines.by_ref() {
                if code.trim_start().starts_with("```") {
                    break;
                }
                roff.text([roman(code)]);
            }
            roff.control("RE", []);
            roff.control("fi", []);
            continue;
        }
        if trimmed.starts_with('|') {
            let mut rows = vec![cells(trimmed)];
            while let Some(next) = lines.next_if(|l| l.trim().starts_with('|')) {
                rows.push(cells(next.trim()));
            }
            table(roff, &rows);
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            let mut text = item.to_owned();
            while let Some(next) = lines.next_if(|l| !l.trim().is_empty() && l.starts_with("  ")) {
                text.push(' ');
                text.push_str(next.trim());
            }
            roff.control("IP", ["\\(bu", "2"]);
            roff.text(inline(&text));
            continue;
        }
        let mut text = trimmed.to_owned();
        while let Some(next) = lines.next_if(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with(['#', '|', '-']) && !l.starts_with("```")
        }) {
            text.push(' ');
            text.push_str(next.trim());
        }
        roff.control("PP", []);
        roff.text(inline(&text));
    }
}

/// The cells of a table row, `|` inside backticks kept (`\|` unescaped).
fn cells(row: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_code = false;
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => cell.push(chars.next().unwrap_or('|')),
            '`' => {
                in_code = !in_code;
                cell.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    if !cell.trim().is_empty() {
        cells.push(cell.trim().to_owned());
    }
    cells
}

/// A table as a list of terms: the first column is the term, the last
/// the text, the columns between (`required`) lead the text by name.
fn table(roff: &mut Roff, rows: &[Vec<String>]) {
    let Some((header, rows)) = rows.split_first() else {
        return;
    };
    for row in rows {
        // The `|---|---|` line under the header.
        if row
            .iter()
            .all(|cell| cell.chars().all(|c| matches!(c, '-' | ':')))
        {
            continue;
        }
        let Some((term, rest)) = row.split_first() else {
            continue;
        };
        roff.control("TP", []);
        roff.text(inline(term));
        let mut text = String::new();
        if let Some((last, middle)) = rest.split_last() {
            for (name, value) in header.iter().skip(1).zip(middle) {
                if !value.is_empty() {
                    text.push_str(&format!("{}: {value}. ", capitalise(name)));
                }
            }
            text.push_str(last);
        }
        roff.text(inline(&text));
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Inline Markdown: `code` and **bold** in bold, [text](url) as
/// `text <url>`, the rest roman.
fn inline(text: &str) -> Vec<Inline> {
    let mut parts = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let marker = if rest.starts_with("**") {
            Some("**")
        } else if c == '`' {
            Some("`")
        } else {
            None
        };
        if let Some(marker) = marker
            && let Some(end) = rest[marker.len()..].find(marker)
        {
            if !plain.is_empty() {
                parts.push(roman(std::mem::take(&mut plain)));
            }
            parts.push(bold(&rest[marker.len()..marker.len() + end]));
            rest = &rest[2 * marker.len() + end..];
            continue;
        }
        if c == '['
            && let Some(close) = rest.find("](")
            && let Some(end) = rest[close..].find(')')
        {
            let label = &rest[1..close];
            let url = &rest[close + 2..close + end];
            plain.push_str(&format!("{label} <{url}>"));
            rest = &rest[close + end + 1..];
            continue;
        }
        plain.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !plain.is_empty() {
        parts.push(roman(plain));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_markdown() {
        assert_eq!(
            inline("a `b|c` **d** [e](https://f) g"),
            vec![
                roman("a "),
                bold("b|c"),
                roman(" "),
                bold("d"),
                roman(" e <https://f> g")
            ]
        );
    }

    #[test]
    fn table_cells_keep_pipes_in_code() {
        assert_eq!(
            cells("| `a \\| b` | no | x |"),
            vec!["`a | b`".to_owned(), "no".to_owned(), "x".to_owned()]
        );
    }

    #[test]
    fn every_page_has_its_file_name() {
        let names: Vec<String> = all_pages().into_iter().map(|(name, _)| name).collect();
        for name in [
            "senderzone.1",
            "senderzone-generate.1",
            "senderzone-spf.1",
            "senderzone-spf-check.1",
            "senderzone-man.1",
            "senderzone-inventory.5",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    }
}
