//! Text from outside (DNS answers, inventory values) made safe to print.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with control characters and backslashes escaped, RFC 1035 §5.1
/// style (`\DDD` in decimal, `\\`), so that DNS data or inventory values
/// printed on a terminal cannot move the cursor, change colours or forge
/// lines.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c.is_control() && u32::from(c) < 256 => {
                let _ = write!(out, "\\{:03}", u32::from(c));
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("mail.example.com"), "mail.example.com");
        assert_eq!(escape("v=spf1\x1b[31m -all"), "v=spf1\\027[31m -all");
        assert_eq!(escape("a\nb\\c\x7f"), "a\\010b\\\\c\\127");
        assert_eq!(escape("x\u{85}y"), "x\\133y");
    }
}
