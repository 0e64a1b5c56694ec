//! `#[endpoints(Type, tools)]`: the declared endpoints as an OpenAPI document, through
//! `paragon_sdk::EndpointSpec`, so that they become tools for AI agents by the same path as a
//! provider's spec. The expansion builds the document at run time with
//! `paragon_sdk::__private::openapi` (`schemars` computes the schemas then), naming each
//! argument's type at its own span, so a type without `JsonSchema` is reported where it is
//! written.

use proc_macro2::{Group, Punct, Spacing, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, GenericParam, Lit, Meta, Type};

use crate::endpoints::{Endpoint, Role};
use crate::errors::Errors;

/// What a tool cannot have: a type parameter, whose schema is not known when the document is
/// built.
pub(crate) fn check(endpoint: &Endpoint, errors: &mut Errors) {
    for param in &endpoint.generics.params {
        if !matches!(param, GenericParam::Lifetime(_)) {
            errors.push(syn::Error::new_spanned(
                param,
                "an endpoint exposed as a tool cannot have type parameters: its input schema must be one type\nhelp: use a concrete type, or move this endpoint to a trait without `tools`",
            ));
        }
    }
}

/// Two endpoints with one method and path would be one operation of the document, so one tool
/// would silently replace the other.
pub(crate) fn check_unique(endpoints: &[Endpoint], errors: &mut Errors) {
    for (i, e) in endpoints.iter().enumerate() {
        if let Some(first) = endpoints[..i]
            .iter()
            .find(|f| f.method == e.method && f.template == e.template)
        {
            errors.push(syn::Error::new_spanned(
                &e.ident,
                format!(
                    "`{}` and `{}` are both `{} {}`: as tools they would be one operation\nhelp: give each endpoint its own method and path, or move one to a trait without `tools`",
                    first.ident, e.ident, e.method, e.template
                ),
            ));
        }
    }
}

/// `impl ::paragon_sdk::EndpointSpec for Type`, one operation per endpoint.
pub(crate) fn expand(integration: &syn::Path, endpoints: &[Endpoint]) -> TokenStream {
    let operations = endpoints.iter().map(operation);
    quote! {
        impl ::paragon_sdk::EndpointSpec for #integration {
            fn openapi() -> ::paragon_sdk::__private::serde_json::Value {
                let mut __doc = ::paragon_sdk::__private::openapi::Document::new(
                    <Self as ::paragon_sdk::Integration>::NAME,
                );
                #(#operations)*
                __doc.finish()
            }
        }
    }
}

fn operation(e: &Endpoint) -> TokenStream {
    let method = e.method.to_string().to_ascii_lowercase();
    let path = &e.template;
    let id = e.ident.to_string();
    let (summary, description) = docs(&e.sig_attrs);
    let inputs = e.args.iter().map(|a| {
        let ty = schema_type(&a.ty);
        let span = a.ty.span();
        match a.role {
            Role::Path => {
                let name = a.ident.to_string();
                quote_spanned!(span=> .path_param::<#ty>(#name))
            }
            Role::Query => quote_spanned!(span=> .query::<#ty>()),
            Role::Body => quote_spanned!(span=> .body::<#ty>()),
        }
    });
    quote! {
        __doc.operation(#method, #path, #id, #summary, #description)
            #(#inputs)*
            .add();
    }
}

/// The doc comment's first paragraph (the summary) and the rest (the description).
fn docs(attrs: &[Attribute]) -> (String, String) {
    let lines: Vec<String> = attrs
        .iter()
        .filter_map(|a| match &a.meta {
            Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                Expr::Lit(l) => match &l.lit {
                    Lit::Str(s) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .flat_map(|text| {
            // `split`, not `lines`: an empty `///` line is the paragraph break.
            text.split('\n')
                .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end().to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    let text = lines.join("\n");
    let text = text.trim();
    match text.split_once("\n\n") {
        Some((summary, rest)) => (summary.replace('\n', " "), rest.trim().to_string()),
        None => (text.replace('\n', " "), String::new()),
    }
}

/// The type whose schema describes an argument: without its outer references (`&str` is
/// `str`), and with every lifetime elided (`NewTask<'a>` is `NewTask<'_>`), since the
/// document is built outside the method.
fn schema_type(ty: &Type) -> TokenStream {
    let mut ty = ty;
    while let Type::Reference(r) = ty {
        ty = &r.elem;
    }
    elide_lifetimes(ty.to_token_stream())
}

fn elide_lifetimes(tokens: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tt) = iter.next() {
        match tt {
            TokenTree::Punct(p) if p.as_char() == '\'' && p.spacing() == Spacing::Joint => {
                if let Some(TokenTree::Ident(name)) = iter.next() {
                    let mut tick = Punct::new('\'', Spacing::Joint);
                    tick.set_span(p.span());
                    out.push(TokenTree::Punct(tick));
                    out.push(TokenTree::Ident(proc_macro2::Ident::new("_", name.span())));
                }
            }
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), elide_lifetimes(g.stream()));
                inner.set_span(g.span());
                out.push(TokenTree::Group(inner));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_and_lifetimes_are_dropped_from_schema_types() {
        let ty: Type = syn::parse_quote!(&'a NewTask<'a, &'static str>);
        assert_eq!(
            schema_type(&ty).to_string(),
            quote!(NewTask<'_, &'_ str>).to_string()
        );
    }

    #[test]
    fn the_first_paragraph_is_the_summary() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " Creates a task"]),
            syn::parse_quote!(#[doc = " in the user's list."]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = " The title must not be empty."]),
        ];
        assert_eq!(
            docs(&attrs),
            (
                "Creates a task in the user's list.".to_string(),
                "The title must not be empty.".to_string()
            )
        );
        assert_eq!(docs(&[]), (String::new(), String::new()));
    }
}
