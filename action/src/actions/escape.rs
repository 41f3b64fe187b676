//! Escaping of workflow-command data and properties, as `@actions/core`
//! does: `%`, CR and LF in data; additionally `:` and `,` in property
//! values (which are separated by `,` and ended by `::`).

/// Escape a command's message (the part after `::`).
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=…`, `title=…`).
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(data("50%\r\nnext %0A"), "50%25%0D%0Anext %250A");
        assert_eq!(data("a:b,c"), "a:b,c");
    }

    #[test]
    fn property_also_escapes_colon_and_comma() {
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
