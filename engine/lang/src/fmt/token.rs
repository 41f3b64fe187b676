//! Token kinds of the HCL native syntax, as hclsyntax's scanner produces
//! them, and the token record the formatter rewrites.

/// The kind of one lexical token. The set mirrors hclsyntax's token types,
/// because hclwrite's formatting rules are written against them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `{`
    OBrace,
    /// `}`
    CBrace,
    /// `[`
    OBrack,
    /// `]`
    CBrack,
    /// `(`
    OParen,
    /// `)`
    CParen,
    /// The `"` opening a quoted template.
    OQuote,
    /// The `"` closing a quoted template.
    CQuote,
    /// A heredoc introducer, `<<EOT` or `<<-EOT`, with its newline.
    OHeredoc,
    /// The line closing a heredoc (its marker).
    CHeredoc,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `%`
    Percent,
    /// `=` (assignment).
    Equal,
    /// `==`
    EqualOp,
    /// `!=`
    NotEqual,
    /// `<`
    LessThan,
    /// `<=`
    LessThanEq,
    /// `>`
    GreaterThan,
    /// `>=`
    GreaterThanEq,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `!`
    Bang,
    /// `.`
    Dot,
    /// `,`
    Comma,
    /// `::`
    DoubleColon,
    /// `...` (expansion in calls and `for` groupings).
    Ellipsis,
    /// `=>` (in `for` expressions).
    FatArrow,
    /// `?` (conditional).
    Question,
    /// `:`
    Colon,
    /// `${` (or `${~`): an interpolation sequence opens.
    TemplateInterp,
    /// `%{` (or `%{~`): a template directive opens.
    TemplateControl,
    /// `}` (or `~}`) closing an interpolation or directive.
    TemplateSeqEnd,
    /// Literal text inside a quoted template.
    QuotedLit,
    /// Literal text inside a heredoc.
    StringLit,
    /// A number literal.
    NumberLit,
    /// An identifier or keyword.
    Ident,
    /// A `#`, `//` or `/* */` comment (line comments include their newline).
    Comment,
    /// A line break (LF or CRLF).
    Newline,
    /// End of input.
    Eof,
    /// `&` (not HCL syntax; lexed so the formatter can keep it).
    BitwiseAnd,
    /// `|` (not HCL syntax).
    BitwiseOr,
    /// `~` outside a strip marker (not HCL syntax).
    BitwiseNot,
    /// `^` (not HCL syntax).
    BitwiseXor,
    /// `'` (not HCL syntax).
    Apostrophe,
    /// `` ` `` (not HCL syntax).
    Backtick,
    /// `;` (not HCL syntax).
    Semicolon,
    /// Bytes that start no token (e.g. a lone `\r`, an unterminated string).
    Invalid,
    /// A byte that is not valid UTF-8.
    BadUtf8,
    /// A line break inside a quoted template (an error in HCL, kept by the formatter).
    QuotedNewline,
    /// Stands in for "no token" at the edges of a cell.
    Nil,
}

impl TokenKind {
    /// +1 for tokens that open a bracketing construct, -1 for those that
    /// close one (template sequences count as brackets).
    pub fn bracket_change(self) -> i32 {
        match self {
            TokenKind::OBrace
            | TokenKind::OBrack
            | TokenKind::OParen
            | TokenKind::TemplateControl
            | TokenKind::TemplateInterp => 1,
            TokenKind::CBrace
            | TokenKind::CBrack
            | TokenKind::CParen
            | TokenKind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }

    /// Whether the token carries no meaning for the parser (comments).
    pub fn is_comment(self) -> bool {
        self == TokenKind::Comment
    }
}

/// One token: its kind, its byte span in the source, and the number of
/// spaces to print before it (initially the whitespace found in the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// Byte offset of the token's first byte in the source.
    pub start: usize,
    /// Byte offset just past the token's last byte.
    pub end: usize,
    /// Spaces to print before the token.
    pub spaces_before: usize,
}

impl Token {
    /// The token's bytes in `src`.
    pub fn bytes<'a>(&self, src: &'a [u8]) -> &'a [u8] {
        src.get(self.start..self.end).unwrap_or_default()
    }
}
