//! Stage 1: the `#[integration(...)]` attribute as a tree of spanned entries.
//!
//! The grammar is small and generic so that every manifest field has an attribute form:
//! `key = "text"`, `key = true`, `key = 3`, `key = ["a", "b"]`, `key = word`,
//! `key = word(entries)` and `key(entries)` (a table). Keys are identifiers, or string literals
//! for names that are not identifiers (`"X-Api-Key" = "…"`). Which keys exist is decided later.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitInt, LitStr, Token, bracketed, parenthesized};

/// `key = value` or `key(entries)`, with its tokens kept for error spans.
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) value: Value,
    /// The whole entry, for errors that underline it.
    pub(crate) tokens: TokenStream,
}

/// A value in the attribute, with its tokens for errors.
pub(crate) struct Value {
    pub(crate) kind: Kind,
    pub(crate) tokens: TokenStream,
}

/// What a value is.
pub(crate) enum Kind {
    Str(LitStr),
    Bool(LitBool),
    Int(LitInt),
    Array(Vec<Value>),
    /// A bare word: `auth = api_key`.
    Word(Ident),
    /// A word with arguments: `auth = oauth2(token_url = "…")`.
    Call(Ident, Vec<Entry>),
    /// `key(entries)`: a table.
    Table(Vec<Entry>),
}

/// A comma-separated list of entries, as inside `#[integration(...)]`.
pub(crate) struct Entries(pub(crate) Vec<Entry>);

impl Parse for Entries {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut out = Vec::new();
        while !input.is_empty() {
            out.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Entries(out))
    }
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let start = input.fork();
        let (key, key_span) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (lit.value(), lit.span())
        } else if input.peek(Ident::peek_any) {
            let ident = Ident::parse_any(input)?;
            (ident.to_string(), ident.span())
        } else {
            return Err(input.error("expected a key, e.g. `name = \"GitHub\"`"));
        };
        let value = if input.peek(syn::token::Paren) {
            let before = input.fork();
            let content;
            parenthesized!(content in input);
            let kind = Kind::Table(content.parse::<Entries>()?.0);
            Value {
                kind,
                tokens: tokens_between(&before, input),
            }
        } else if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            input.parse()?
        } else {
            return Err(syn::Error::new(
                key_span,
                format!("expected `{key} = value` or `{key}(...)`"),
            ));
        };
        let tokens = tokens_between(&start, input);
        Ok(Entry {
            key,
            key_span,
            value,
            tokens,
        })
    }
}

impl Parse for Value {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let start = input.fork();
        let kind = parse_kind(input)?;
        Ok(Value {
            kind,
            tokens: tokens_between(&start, input),
        })
    }
}

fn parse_kind(input: ParseStream<'_>) -> syn::Result<Kind> {
    if input.peek(LitStr) {
        return Ok(Kind::Str(input.parse()?));
    }
    if input.peek(LitBool) {
        return Ok(Kind::Bool(input.parse()?));
    }
    if input.peek(LitInt) {
        return Ok(Kind::Int(input.parse()?));
    }
    if input.peek(syn::token::Bracket) {
        let content;
        bracketed!(content in input);
        let mut items = Vec::new();
        while !content.is_empty() {
            items.push(content.parse()?);
            if content.is_empty() {
                break;
            }
            content.parse::<Token![,]>()?;
        }
        return Ok(Kind::Array(items));
    }
    if input.peek(Ident::peek_any) {
        let word = Ident::parse_any(input)?;
        if input.peek(syn::token::Paren) {
            let content;
            parenthesized!(content in input);
            lone_string(&word, &content)?;
            return Ok(Kind::Call(word, content.parse::<Entries>()?.0));
        }
        return Ok(Kind::Word(word));
    }
    Err(input.error("expected a value: a string, `true`/`false`, a number, `[...]` or `word(...)`"))
}

/// `bearer("{input.api_key}")`: a value without its argument's name. Said with the name to
/// write, instead of the parser's "expected `=`".
fn lone_string(word: &Ident, content: ParseStream<'_>) -> syn::Result<()> {
    let ahead = content.fork();
    let Ok(lit) = ahead.parse::<LitStr>() else {
        return Ok(());
    };
    if !ahead.is_empty() {
        return Ok(());
    }
    let name = match word.to_string().as_str() {
        "bearer" => "token",
        "basic" => "username",
        _ => "name",
    };
    Err(syn::Error::new(
        lit.span(),
        format!(
            "`{word}(...)` takes named arguments\nhelp: write `{word}({name} = {:?})`",
            lit.value()
        ),
    ))
}

/// The tokens `input` consumed since `start` was forked.
fn tokens_between(start: ParseStream<'_>, input: ParseStream<'_>) -> TokenStream {
    let mut out = TokenStream::new();
    let end = input.cursor();
    let mut cursor = start.cursor();
    while cursor != end {
        let Some((tt, next)) = cursor.token_tree() else {
            break;
        };
        out.extend(std::iter::once(tt));
        cursor = next;
    }
    out
}
