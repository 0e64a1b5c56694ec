//! `#[endpoints(Type)]`: typed endpoints declared as a trait, without a spec.
//!
//! Parse (the trait's methods and their `#[get("/path/{param}")]` attributes) → validate
//! (every `{param}` has an argument and every argument is used) → expand (a client struct
//! named after the trait, with one `async fn` per method, and `Type::client`; with `tools`,
//! also `paragon_sdk::EndpointSpec` for the type, written by `crate::endpoint_spec`).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{
    Attribute, FnArg, Ident, ItemTrait, LitStr, Pat, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::errors::Errors;

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

/// One endpoint method, validated.
pub(crate) struct Endpoint {
    pub(crate) sig_attrs: Vec<Attribute>,
    pub(crate) ident: Ident,
    pub(crate) generics: syn::Generics,
    pub(crate) method: Ident,
    /// The path as written, `/tasks/{id}`.
    pub(crate) template: String,
    path: Vec<Segment>,
    pub(crate) args: Vec<Arg>,
    output: Output,
}

enum Segment {
    Literal(String),
    Param(Ident),
}

pub(crate) struct Arg {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) role: Role,
}

#[derive(PartialEq)]
pub(crate) enum Role {
    Path,
    Body,
    Query,
}

enum Output {
    Unit,
    Json(Box<Type>),
}

/// `#[endpoints(Type)]` or `#[endpoints(Type, tools)]`.
struct Args {
    integration: syn::Path,
    tools: bool,
}

impl syn::parse::Parse for Args {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let integration: syn::Path = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the integration type: #[endpoints(GitHub)]",
            )
        })?;
        let mut tools = false;
        while input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            let flag: Ident = input.parse()?;
            if flag != "tools" || tools {
                return Err(syn::Error::new_spanned(
                    &flag,
                    format!(
                        "unknown option `{flag}`\nhelp: the only option is `tools`: #[endpoints(GitHub, tools)] exposes the endpoints as tools for AI agents"
                    ),
                ));
            }
            tools = true;
        }
        if !input.is_empty() {
            return Err(input.error("expected `,` then an option: #[endpoints(GitHub, tools)]"));
        }
        Ok(Args { integration, tools })
    }
}

pub(crate) fn expand(args: TokenStream, item: ItemTrait) -> syn::Result<TokenStream> {
    let Args { integration, tools } = syn::parse2(args)?;
    let mut errors = Errors::default();
    if !item.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &item.generics,
            "an endpoints trait cannot be generic\nhelp: put type parameters on the methods",
        ));
    }
    let mut endpoints = Vec::new();
    for it in &item.items {
        match it {
            TraitItem::Fn(f) => match endpoint(f) {
                Ok(e) => {
                    if tools {
                        crate::endpoint_spec::check(&e, &mut errors);
                    }
                    endpoints.push(e);
                }
                Err(e) => errors.push(e),
            },
            other => errors.push(syn::Error::new_spanned(
                other,
                "only `async fn` endpoints are allowed here\nhelp: move this item to another trait or impl",
            )),
        }
    }
    if tools {
        crate::endpoint_spec::check_unique(&endpoints, &mut errors);
    }
    errors.finish()?;

    let vis = &item.vis;
    let client = &item.ident;
    let attrs = &item.attrs;
    let methods = endpoints.iter().map(|e| method(&integration, vis, e));
    let doc = format!(
        " A typed client for [`{}`]'s API, calling through `paragon` (a user handle).",
        quote!(#integration)
    );
    let spec = tools.then(|| crate::endpoint_spec::expand(&integration, &endpoints));
    Ok(quote! {
        #(#attrs)*
        #[derive(::std::clone::Clone, ::std::fmt::Debug)]
        #vis struct #client {
            paragon: ::paragon_sdk::Paragon,
        }

        impl #client {
            /// A client calling through `paragon` (a user handle).
            #vis fn new(paragon: ::paragon_sdk::Paragon) -> Self {
                #client { paragon }
            }

            /// The Paragon handle this client calls through.
            #vis fn paragon(&self) -> &::paragon_sdk::Paragon {
                &self.paragon
            }

            /// One path segment, percent-encoded (everything but RFC 3986 unreserved characters).
            fn __segment(value: &dyn ::std::fmt::Display) -> ::std::string::String {
                ::paragon_sdk::__private::encode_component(&::std::string::ToString::to_string(value))
            }

            #(#methods)*
        }

        impl #integration {
            #[doc = #doc]
            #vis fn client(paragon: &::paragon_sdk::Paragon) -> #client {
                #client::new(::std::clone::Clone::clone(paragon))
            }
        }

        #spec
    })
}

fn endpoint(f: &TraitItemFn) -> syn::Result<Endpoint> {
    let mut errors = Errors::default();
    let sig = &f.sig;
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "endpoints are `async fn`\nhelp: write `async fn`",
        ));
    }
    if let Some(body) = &f.default {
        errors.push(syn::Error::new_spanned(
            body,
            "an endpoint has no body: the macro writes it\nhelp: end the declaration with `;`",
        ));
    }
    let mut route: Option<(Ident, LitStr)> = None;
    let mut misspelled = false;
    let mut sig_attrs = Vec::new();
    for attr in &f.attrs {
        let name = attr.path().get_ident().map(Ident::to_string);
        match name.as_deref() {
            Some(m) if METHODS.contains(&m) => {
                if route.is_some() {
                    errors.push(syn::Error::new_spanned(
                        attr,
                        "an endpoint has one HTTP method\nhelp: remove one of them",
                    ));
                    continue;
                }
                match attr.parse_args::<LitStr>() {
                    Ok(lit) => route = Some((format_ident!("{}", m.to_ascii_uppercase()), lit)),
                    Err(_) => errors.push(syn::Error::new_spanned(
                        attr,
                        format!("expected a path: #[{m}(\"/users/{{username}}\")]"),
                    )),
                }
            }
            Some(other) if crate::errors::closest(other, METHODS).is_some() => {
                // A misspelled method (`#[gett]`) is reported where it is written, not as a
                // missing method at the function's name.
                let near = crate::errors::closest(other, METHODS).unwrap_or_default();
                misspelled = true;
                errors.push(syn::Error::new_spanned(
                    attr.path(),
                    format!("unknown HTTP method attribute `#[{other}]`\nhelp: did you mean `#[{near}]`?"),
                ));
            }
            _ => sig_attrs.push(attr.clone()),
        }
    }
    if misspelled && route.is_none() {
        return Err(errors.into_error());
    }
    let Some((method, lit)) = route else {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            format!(
                "`{}` has no HTTP method\nhelp: add e.g. #[get(\"/users/{{username}}\")] (one of: {})",
                sig.ident,
                METHODS.join(", ")
            ),
        ));
        return Err(errors.into_error());
    };
    let path = match parse_path(&lit) {
        Ok(p) => p,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };

    let mut args = Vec::new();
    let mut has_self = false;
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                // `&self` only: syn 3 puts the `mut` of `&mut self` inside the reference kind.
                if !matches!(r.kind, syn::ReceiverKind::Reference(_, _, None))
                    || r.mutability.is_some()
                {
                    errors.push(syn::Error::new_spanned(r, "endpoints take `&self`"));
                }
                has_self = true;
            }
            FnArg::Typed(pt) => {
                let Pat::Ident(pi) = &*pt.pat else {
                    errors.push(syn::Error::new_spanned(
                        &pt.pat,
                        "endpoint arguments are plain names, e.g. `username: &str`",
                    ));
                    continue;
                };
                let mut role = Role::Path;
                for attr in &pt.attrs {
                    if attr.path().is_ident("body") {
                        role = Role::Body;
                    } else if attr.path().is_ident("query") {
                        role = Role::Query;
                    } else {
                        errors.push(syn::Error::new_spanned(
                            attr,
                            "unknown argument attribute\nhelp: use #[body] (JSON body) or #[query] (query parameters)",
                        ));
                    }
                }
                args.push(Arg {
                    ident: pi.ident.clone(),
                    ty: (*pt.ty).clone(),
                    role,
                });
            }
        }
    }
    if !has_self {
        errors.push(syn::Error::new_spanned(
            &sig.ident,
            "endpoints take `&self` first\nhelp: write e.g. `async fn user(&self, username: &str) -> User;`",
        ));
    }
    if method == "GET" || method == "HEAD" {
        for a in args.iter().filter(|a| a.role == Role::Body) {
            errors.push(syn::Error::new_spanned(
                &a.ident,
                format!("a {method} request has no body\nhelp: send the fields as #[query] parameters, or use #[post], #[put] or #[patch]"),
            ));
        }
    }
    if args.iter().filter(|a| a.role == Role::Body).count() > 1 {
        for a in args.iter().filter(|a| a.role == Role::Body).skip(1) {
            errors.push(syn::Error::new_spanned(
                &a.ident,
                "an endpoint has one #[body] argument\nhelp: put the fields in one struct",
            ));
        }
    }
    // Every `{param}` needs an argument, and every path argument needs a `{param}`.
    for seg in &path {
        if let Segment::Param(p) = seg
            && !args.iter().any(|a| a.ident == *p && a.role == Role::Path)
        {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "`{{{p}}}` in the path has no matching argument\nhelp: add an argument `{p}: &str` to `{}`",
                    sig.ident
                ),
            ));
        }
    }
    for arg in args.iter().filter(|a| a.role == Role::Path) {
        let used = path
            .iter()
            .any(|s| matches!(s, Segment::Param(p) if *p == arg.ident));
        if !used {
            errors.push(syn::Error::new_spanned(
                &arg.ident,
                format!(
                    "argument `{0}` is not in the path `{1}`\nhelp: add `{{{0}}}` to the path, or mark the argument #[body] or #[query]",
                    arg.ident,
                    lit.value()
                ),
            ));
        }
    }
    let output = match &sig.output {
        ReturnType::Default => Output::Unit,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => Output::Unit,
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result") => {
                errors.push(syn::Error::new_spanned(
                    ty,
                    "write the success type only: the endpoint returns `paragon_sdk::Result<T>`\nhelp: e.g. `-> User` instead of `-> Result<User>`",
                ));
                Output::Unit
            }
            other => Output::Json(Box::new(other.clone())),
        },
    };
    errors.finish()?;
    Ok(Endpoint {
        sig_attrs,
        ident: sig.ident.clone(),
        generics: sig.generics.clone(),
        method,
        template: lit.value(),
        path,
        args,
        output,
    })
}

/// `/users/{username}/repos` → literal and parameter segments.
fn parse_path(lit: &LitStr) -> syn::Result<Vec<Segment>> {
    let text = lit.value();
    let bad = |why: &str, help: &str| syn::Error::new(lit.span(), format!("{why}\nhelp: {help}"));
    if !text.starts_with('/') {
        return Err(bad(
            "the path must start with `/`",
            "e.g. \"/users/{username}\" (relative to the integration's base URL)",
        ));
    }
    if text.contains("://") {
        return Err(bad(
            "the path must be relative to the base URL, not a full URL",
            "e.g. \"/users/{username}\"",
        ));
    }
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(bad(
                "unmatched `}` in the path",
                "write parameters as `{name}`",
            ));
        }
        let Some(close) = rest[open..].find('}') else {
            return Err(bad(
                "unclosed `{` in the path",
                "write parameters as `{name}`",
            ));
        };
        let name = &rest[open + 1..open + close];
        let ident: Ident = syn::parse_str(name).map_err(|_| {
            bad(
                &format!("`{{{name}}}` is not a parameter name"),
                "parameters are Rust names matching an argument, e.g. `{username}`",
            )
        })?;
        if !rest[..open].is_empty() {
            out.push(Segment::Literal(rest[..open].to_owned()));
        }
        out.push(Segment::Param(Ident::new(&ident.to_string(), lit.span())));
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Literal(rest.to_owned()));
    }
    Ok(out)
}

fn method(integration: &syn::Path, vis: &syn::Visibility, e: &Endpoint) -> TokenStream {
    let Endpoint {
        sig_attrs,
        ident,
        generics,
        method,
        path,
        args,
        output,
        template: _,
    } = e;
    let where_clause = &generics.where_clause;
    let params = args.iter().map(|a| {
        let (ident, ty) = (&a.ident, &a.ty);
        quote!(#ident: #ty)
    });
    let pieces = path.iter().map(|s| match s {
        Segment::Literal(l) => quote!(__path.push_str(#l);),
        Segment::Param(p) => quote!(__path.push_str(&Self::__segment(&#p));),
    });
    let extras = args.iter().map(|a| {
        let ident = &a.ident;
        match a.role {
            Role::Body => quote!(.json(#ident)),
            Role::Query => quote!(.query(#ident)),
            Role::Path => quote!(),
        }
    });
    let (ret, finish) = match output {
        Output::Unit => (quote!(()), quote!(.await?; ::std::result::Result::Ok(()))),
        Output::Json(ty) => (quote!(#ty), quote!(.await?.json::<#ty>().await)),
    };
    let span = ident.span();
    quote::quote_spanned! {span=>
        #(#sig_attrs)*
        #vis async fn #ident #generics (&self, #(#params),*) -> ::paragon_sdk::Result<#ret> #where_clause {
            let mut __path = ::std::string::String::new();
            #(#pieces)*
            self.paragon
                .request(
                    <#integration as ::paragon_sdk::Integration>::NAME,
                    ::paragon_sdk::Method::#method,
                    __path,
                )
                #(#extras)*
                #finish
        }
    }
}
